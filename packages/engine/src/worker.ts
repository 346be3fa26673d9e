import { aiGateKey, runWorker } from '@vigil/runtime';
import { warmGateTransport } from './aigate.js';
import { createEngine } from './engine.js';

runWorker('engine', async (ctx) => {
  // Before the engine reports ready (the supervisor's stall watch starts then): a gate's first call
  // compiles the SDK's and fetch's code, which is done here once instead of at the first decision.
  const g = ctx.init.config.aigate;
  if (aiGateKey(process.env)) {
    const w = await warmGateTransport({ model: g.model, timeoutMs: g.timeout_ms, maxReplyBytes: g.max_reply_bytes, maxTokens: g.max_tokens });
    if (w.ok) ctx.log.info(`AI gate transport warmed in ${w.ms.toFixed(0)} ms (loopback stub)`);
    else ctx.log.warn(`AI gate transport warm-up failed (the first review runs cold): ${w.error ?? 'unknown'}`);
  }
  return createEngine(ctx);
});
