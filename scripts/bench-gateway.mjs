// scripts/bench-gateway.ts for the scripts still in JavaScript (bench.mjs, chaos.mjs), which import this file
// and may run under plain `node`: tsx's tsImport loads the TypeScript module. Delete this file once
// its importers are TypeScript and import ./bench-gateway.ts themselves.
import { tsImport } from 'tsx/esm/api';

export const { runGatewayBench } = await tsImport('./bench-gateway.ts', import.meta.url);
