#!/usr/bin/env python3
"""Writes tests/fixtures/tokenizer/corpus.json: the texts the tokenizer conformance tests run
through our tokenizer and the reference (tools/tokenizer/make_reference.js). Hand-written to
cover what breaks tokenizers: whitespace runs, \\r\\n, digits, contractions, normalization forms,
many scripts, emoji sequences, special-token strings inside text."""
import json, os, unicodedata

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "..", "tests", "fixtures", "tokenizer", "corpus.json")

accented = "Café naïve façade résumé Ångström coöperate São Paulo Zürich crème brûlée"
cases = [
    ("empty", ""),
    ("one_space", " "),
    ("two_spaces", "  "),
    ("newline", "\n"),
    ("prose", "The quick brown fox jumps over the lazy dog. It was the best of times, it was "
              "the worst of times; it was the age of wisdom!"),
    ("hello", "Hello world"),
    ("leading_space", " Hello world"),
    ("code_tabs", "def main():\n\tif x  >  0:\n\t\treturn x**2  # square\n\telse:\n"
                  "\t\treturn -x\n\n\nclass Foo(Bar):\n    def __init__(self):\n"
                  "        self.items = [1, 2, 3]\n        pass\n"),
    ("code_cpp", "int main(int argc, char** argv) {\n  std::vector<int> v{1,2,3};\n"
                 "  for (auto& x : v) { x += 42; }\n  return 0;\n}\n"),
    ("spaces_runs", "a  b   c    d     e      f\n\n\n\ng          h"),
    ("trailing_spaces", "word   \n   next    "),
    ("crlf", "line one\r\nline two\r\n\r\nline four\r\n"),
    ("mixed_ws", "tab\there\u000bvt\u000cff\u00a0nbsp\u2003emsp\u3000ideo\u0085nel end"),
    ("digits", "1234567890 12345678901234567890 3.14159265358979 1,000,000 2024-11-26 007"),
    ("long_digits", "9" * 37 + " " + "0123456789" * 5),
    ("contractions", "I'm you're he's she'll we've they'd it's can't won't isn't"),
    ("contractions_upper", "I'M YOU'RE HE'S SHE'LL WE'VE THEY'D IT'S CAN'T WON'T ISN'T"),
    ("contractions_mixed", "I'M You'Re He'S she'LL We'vE THEY'd iT's"),
    ("nfc_accents", unicodedata.normalize("NFC", accented)),
    ("nfd_accents", unicodedata.normalize("NFD", accented)),
    ("cjk", "我爱自然语言处理。今天天气很好！東京は日本の首都です。한국어 텍스트도 있습니다."),
    ("japanese_kana", "ひらがなとカタカナ、そして漢字を混ぜた文章です。ｶﾀｶﾅ"),
    ("hindi", "नमस्ते दुनिया, यह एक परीक्षण है। क्षत्रिय"),
    ("tamil_bengali", "தமிழ் மொழி வணக்கம் বাংলা ভাষা"),
    ("arabic", "مرحبا بالعالم، هذا اختبار. السَّلَامُ عَلَيْكُمْ"),
    ("hebrew", "שלום עולם, זהו מבחן. בְּרֵאשִׁית"),
    ("thai", "สวัสดีชาวโลก นี่คือการทดสอบภาษาไทย"),
    ("emoji", "I love 🍕 and 🎉! 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵 ❤️"),
    ("emoji_only", "😀😃😄😁😆😅🤣😂🙂🙃"),
    ("special_llama", "<s>Hello</s> world <unk> [INST] hi [/INST]"),
    ("special_llama3", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"),
    ("special_chatml", "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nhey<|im_end|>"),
    ("special_gemma", "<bos><start_of_turn>user\nWhat?<end_of_turn>\n<start_of_turn>model\n"),
    ("special_adjacent", "<s><s></s>text</s><s>"),
    ("special_spaces", "  <s>  spaced  </s>  "),
    ("punctuation", "Hello!!! What?! (yes) [no] {maybe} <tag> \"quoted\" 'single' — en–dash … ¿¡"),
    ("urls", "Visit https://example.com/path?q=1&r=two#frag or mailto:someone@example.org"),
    ("math", "∑_{i=1}^{n} x_i² ≤ √(a²+b²) ∞ ≠ ± × ÷ ∂f/∂x"),
    ("mixed_case", "camelCaseWord PascalCase snake_case SCREAMING_CASE kebab-case XMLHttpRequest"),
    ("repeats", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!!!!!!!!!!!!........----____"),
    ("cyrillic_greek", "Привет мир! Ελληνικά κείμενο. Σίσυφος ΣΊΣΥΦΟΣ"),
    ("control_chars", "a\u0000b\u0001c\u001fd\u007fe\u200bf\u200dg\ufeffh"),
    ("fullwidth", "ＡＢＣ１２３！？　ｆｕｌｌ"),
    ("ligatures", "ﬁ ﬂ ﬀ ﬃ ℌ ℍ ① ㎏ ½"),
    ("replacement_char", "bad \ufffd char"),
    ("json", '{"key": "value", "list": [1, 2.5, null, true], "nested": {"a": "b"}}'),
    ("markdown", "# Title\n\n- item *one*\n- item **two**\n\n```python\nprint('x')\n```\n"),
]

long_parts = [t for _, t in cases if t]
long_doc = "\n\n".join(long_parts)
cases.append(("long_mixed", long_doc))

with open(out, "w", encoding="utf-8") as f:
    json.dump([{"name": n, "text": t} for n, t in cases], f, ensure_ascii=False, indent=1)
print(f"wrote {len(cases)} texts to {os.path.normpath(out)}")
