// scripts/bench-panel.ts for the scripts still in JavaScript (bench.mjs, chaos.mjs), which import this file
// and may run under plain `node`: tsx's tsImport loads the TypeScript module. Delete this file once
// its importers are TypeScript and import ./bench-panel.ts themselves.
import { tsImport } from 'tsx/esm/api';

export const { runPanelBench } = await tsImport('./bench-panel.ts', import.meta.url);
