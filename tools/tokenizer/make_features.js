#!/usr/bin/env node
// Feature conformance: small tokenizer.json files that each exercise one pipeline feature
// (split behaviours, normalizers, pre-tokenizers, added-token flags, post-processors, decoders),
// run through the reference Rust `tokenizers` library (@anush008/tokenizers). A WordLevel
// vocabulary made of every piece the reference pre-tokenizes makes the ids show the exact
// segmentation. Writes tests/fixtures/tokenizer/expected_features.json.
// Usage: node tools/tokenizer/make_features.js
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const tk = require(path.join(root, '.cache', 'testdata', 'node_modules', '@anush008', 'tokenizers'));

const TEXTS = [
  '', ' ', 'Hello world', '  Hello,  world!!  ', 'a1b22c333 4444', "I'm DON'T we'll",
  'Café naïve ÅNGSTRÖM', 'Cafe\u0301 nai\u0308ve', 'ﬁ ① ＡＢＣ', '中文字符 and 日本語',
  'tab\tnew\nline\r\ncr', 'x<mask>y <mask> z<mask>', 'word<sep>word <sep> ', '[CLS] hi [SEP]',
  '...hello---world___', '٣٤٥ ١٢', '  leading', 'trailing  ', 'İstanbul ΣΊΣΥΦΟΣ',
];

function split(pattern, behavior, invert, isRegex = true) {
  return { type: 'Split', pattern: isRegex ? { Regex: pattern } : { String: pattern }, behavior, invert };
}

// name -> partial tokenizer (normalizer, pre_tokenizer, post_processor, decoder, added tokens)
const FEATURES = {
  split_removed: { pre_tokenizer: split('\\s+', 'Removed', false) },
  split_isolated: { pre_tokenizer: split('[,!.]', 'Isolated', false) },
  split_merged_prev: { pre_tokenizer: split(' ', 'MergedWithPrevious', false, false) },
  split_merged_next: { pre_tokenizer: split(' ', 'MergedWithNext', false, false) },
  split_contiguous: { pre_tokenizer: split('\\d', 'Contiguous', false) },
  split_invert: { pre_tokenizer: split('\\p{L}+|\\p{N}+', 'Removed', true) },
  split_lookahead_ci: { pre_tokenizer: split("(?i:'s|'t|'re|'ll)|\\s+(?!\\S)|\\s+|\\w+|[^\\w\\s]+", 'Isolated', false) },
  whitespace: { pre_tokenizer: { type: 'Whitespace' } },
  whitespace_split: { pre_tokenizer: { type: 'WhitespaceSplit' } },
  punctuation: { pre_tokenizer: { type: 'Punctuation', behavior: 'Isolated' } },
  punctuation_next: { pre_tokenizer: { type: 'Punctuation', behavior: 'MergedWithNext' } },
  digits: { pre_tokenizer: { type: 'Digits', individual_digits: false } },
  digits_individual: { pre_tokenizer: { type: 'Digits', individual_digits: true } },
  bert_pre: { pre_tokenizer: { type: 'BertPreTokenizer' } },
  metaspace_always: { pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true } },
  metaspace_first: {
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true },
    added: [{ content: '<mask>', special: true }],
  },
  metaspace_never_nosplit: { pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: false } },
  byte_level_prefix_regex: { pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true } },
  char_delimiter: { pre_tokenizer: { type: 'CharDelimiterSplit', delimiter: 'o' } },
  sequence_pre: { pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Digits', individual_digits: true }] } },
  nfd: { normalizer: { type: 'NFD' }, pre_tokenizer: { type: 'WhitespaceSplit' } },
  nfkc: { normalizer: { type: 'NFKC' }, pre_tokenizer: { type: 'WhitespaceSplit' } },
  nfkd_strip_accents: { normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKD' }, { type: 'StripAccents' }] }, pre_tokenizer: { type: 'WhitespaceSplit' } },
  lowercase: { normalizer: { type: 'Lowercase' }, pre_tokenizer: { type: 'WhitespaceSplit' } },
  strip: { normalizer: { type: 'Strip', strip_left: true, strip_right: true } },
  strip_left: { normalizer: { type: 'Strip', strip_left: true, strip_right: false } },
  replace_regex: { normalizer: { type: 'Replace', pattern: { Regex: '\\s+' }, content: '_' } },
  prepend: { normalizer: { type: 'Prepend', prepend: '>>' }, pre_tokenizer: { type: 'WhitespaceSplit' } },
  bert_normalizer: { normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true }, pre_tokenizer: { type: 'BertPreTokenizer' } },
  bert_normalizer_keep_accents: { normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: false, strip_accents: false, lowercase: true }, pre_tokenizer: { type: 'BertPreTokenizer' } },
  added_plain: { pre_tokenizer: { type: 'WhitespaceSplit' }, added: [{ content: '<mask>', special: true }, { content: '<sep>', special: false }] },
  added_lstrip: { pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }, added: [{ content: '<mask>', special: true, lstrip: true }] },
  added_rstrip: { pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }, added: [{ content: '<mask>', special: true, rstrip: true }] },
  added_single_word: { pre_tokenizer: { type: 'WhitespaceSplit' }, added: [{ content: '<mask>', special: false, single_word: true }, { content: 'word', special: false, single_word: true }] },
  added_normalized: { normalizer: { type: 'Lowercase' }, pre_tokenizer: { type: 'WhitespaceSplit' }, added: [{ content: 'HELLO', special: false, normalized: true }, { content: '[CLS]', special: true, normalized: false }] },
  roberta_post: { pre_tokenizer: { type: 'WhitespaceSplit' }, post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false }, added: [{ content: '<s>', special: true }, { content: '</s>', special: true }] },
  bert_post: { pre_tokenizer: { type: 'WhitespaceSplit' }, post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] }, added: [{ content: '[CLS]', special: true }, { content: '[SEP]', special: true }] },
  template_post: { pre_tokenizer: { type: 'WhitespaceSplit' }, post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }], pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }], special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3, 4], tokens: ['[SEP]', '[SEP2]'] } } }, added: [{ content: '[CLS]', special: true }, { content: '[SEP]', special: true }] },
  decoder_wordpiece: { pre_tokenizer: { type: 'BertPreTokenizer' }, decoder: { type: 'WordPiece', prefix: '##', cleanup: true } },
  decoder_bpe_suffix: { pre_tokenizer: { type: 'WhitespaceSplit' }, decoder: { type: 'BPEDecoder', suffix: 'o' } },
  decoder_ctc: { pre_tokenizer: { type: 'Whitespace' }, decoder: { type: 'CTC', pad_token: '<pad>', word_delimiter_token: '|', cleanup: true } },
  decoder_strip_replace: { pre_tokenizer: { type: 'WhitespaceSplit' }, decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: 'l' }, content: 'L' }, { type: 'Strip', content: 'H', start: 1, stop: 1 }] } },
  decoder_metaspace: { pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }, decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true } },
  decoder_bytelevel: { pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }, decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true } },
};

function build(feature, vocab) {
  const added = (feature.added || []).map((a, i) => ({
    id: i, content: a.content, single_word: !!a.single_word, lstrip: !!a.lstrip, rstrip: !!a.rstrip,
    normalized: a.normalized === undefined ? !a.special : a.normalized, special: !!a.special,
  }));
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: added,
    normalizer: feature.normalizer || null, pre_tokenizer: feature.pre_tokenizer || null,
    post_processor: feature.post_processor || null, decoder: feature.decoder || null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
}

(async () => {
  const out = [];
  for (const [name, feature] of Object.entries(FEATURES)) {
    // Pass 1: the pieces the reference makes, with a placeholder vocabulary.
    const nAdded = (feature.added || []).length;
    const base = {};
    (feature.added || []).forEach((a, i) => { base[a.content] = i; });
    const specials = ['[UNK]', '<s>', '</s>', '[CLS]', '[SEP]', '[SEP2]', '<pad>'];
    let next = Math.max(nAdded, 0);
    const vocab = {};
    for (const s of specials) if (!(s in vocab) && !(s in base)) vocab[s] = next++;
    Object.assign(vocab, base);
    const probe = tk.Tokenizer.fromString(JSON.stringify(build(feature, vocab)));
    const pieces = new Set();
    for (const t of TEXTS) {
      const e = await probe.encode(t, null, { addSpecialTokens: false });
      for (const tokStr of e.getTokens()) pieces.add(tokStr);
      const n = probe.getNormalizer();
      const p = probe.getPreTokenizer();
      const normalized = n ? n.normalizeString(t) : t;
      if (p) for (const [piece] of p.preTokenizeString(normalized)) pieces.add(piece);
      else pieces.add(normalized);
    }
    for (const p of [...pieces].sort()) if (p && !(p in vocab)) vocab[p] = next++;
    // Pass 2: the real tokenizer and its outputs.
    const json = build(feature, vocab);
    const tok = tk.Tokenizer.fromString(JSON.stringify(json));
    const cases = [];
    for (const t of TEXTS) {
      const withS = (await tok.encode(t, null, { addSpecialTokens: true })).getIds();
      const without = (await tok.encode(t, null, { addSpecialTokens: false })).getIds();
      cases.push({ text: t, with_special: withS, without_special: without,
        decoded: await tok.decode(withS, false), decoded_skip_special: await tok.decode(withS, true) });
    }
    out.push({ name, tokenizer: json, cases });
  }
  const file = path.join(root, 'tests', 'fixtures', 'tokenizer', 'expected_features.json');
  fs.writeFileSync(file, JSON.stringify(out));
  console.log(`wrote ${out.length} features to ${path.relative(root, file)}`);
})();
