// nlc_quick.js - llama.cpp (node-llama-cpp) pp/tg without waiting for an idle machine, for
// back-to-back comparisons with `abstractllm bench` / bench_model_forward under the same
// conditions (including a busy machine: each run prints the CPU-seconds other processes used).
//
//   NLC_DIR=/tmp/nlc node bench/peer/nlc_quick.js MODEL.gguf [threads=2] [reps=3] [tg=128] [pp=512]
"use strict";
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");

function busyS() {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100;
}
function ownS() { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; }

async function main() {
  const [modelPath, threadsArg, repsArg, tgArg, ppArg] = process.argv.slice(2);
  if (!modelPath) { console.error("usage: node nlc_quick.js MODEL.gguf [threads] [reps] [tg] [pp]"); process.exit(2); }
  const threads = +(threadsArg || 2), reps = +(repsArg || 3), nTg = +(tgArg || 128), nPp = +(ppArg || 512);
  const nlcDir = process.env.NLC_DIR || "/tmp/nlc";
  const { getLlama, LlamaLogLevel } = await import(
    pathToFileURL(path.join(nlcDir, "node_modules", "node-llama-cpp", "dist", "index.js")).href);
  const t0 = performance.now();
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.warn });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 2048, batchSize: 512, threads, sequences: 1 });
  const seq = context.getSequence();
  const loadS = (performance.now() - t0) / 1000;
  const bos = model.tokens.bos;
  const prompt = [bos];
  for (let i = 1; i < nPp; i++) prompt.push(1000 + ((i * 7919) % 100000));

  const timed = async (fn) => {
    const b0 = busyS(), o0 = ownS(), s0 = performance.now();
    await fn();
    const s = (performance.now() - s0) / 1000;
    return { s, foreign: +Math.max(0, (busyS() - b0) - (ownS() - o0)).toFixed(2) };
  };
  const pp = () => timed(async () => { await seq.clearHistory(); await seq.evaluateWithoutGeneratingNewTokens(prompt); });
  const tg = () => timed(async () => {
    await seq.clearHistory();
    let n = 0;
    for await (const _ of seq.evaluate([bos], { temperature: 0, yieldEogToken: true })) { if (++n >= nTg) break; }
  });
  const out = { model: path.basename(modelPath), threads, loadS, pp: [], tg: [] };
  if (nPp > 0) { await pp(); for (let i = 0; i < reps; i++) { const r = await pp(); out.pp.push({ tps: +(nPp / r.s).toFixed(2), foreign: r.foreign }); } }
  if (nTg > 0) { await timed(async () => {}); for (let i = 0; i < reps; i++) { const r = await tg(); out.tg.push({ tps: +(nTg / r.s).toFixed(2), foreign: r.foreign }); } }
  out.maxRSS_kB = process.resourceUsage().maxRSS;
  console.log(JSON.stringify(out));
  await context.dispose(); await model.dispose(); await llama.dispose();
}
main().catch((e) => { console.error(e); process.exit(1); });
