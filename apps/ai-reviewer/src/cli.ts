#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startReviewer } from './server.js';

/**
 * `ai-reviewer --port N --admin-port M [--model NAME]`. The API key it accepts is read from the
 * environment variable named by --api-key-env (default OPENAI_API_KEY); none set = no key check.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8795' },
    'admin-port': { type: 'string', default: '8796' },
    model: { type: 'string', default: 'vigil-reviewer-1' },
    'api-key-env': { type: 'string', default: 'OPENAI_API_KEY' },
  },
});
const key = process.env[values['api-key-env']] ?? null;
const r = await startReviewer({ port: Number(values.port), adminPort: Number(values['admin-port']), apiKey: key, model: values.model });
process.stdout.write(`AI_REVIEWER_READY ${JSON.stringify({ base_url: r.baseUrl, admin: r.adminUrl, model: values.model })}\n`);
const stop = (): void => {
  void r.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
