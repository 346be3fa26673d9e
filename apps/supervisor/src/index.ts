export { Supervisor, type SupervisorOptions, type ModeApplied } from './supervisor.js';
export { WorkerHost } from './worker-host.js';
export { checkLiveLocks } from './live-locks.js';
export { createPanelApp, type PanelSource } from './panel/app.js';
export { startPanel } from './panel/server.js';
export { supervisorPanelSource } from './status.js';
export { startCommand, EXIT } from './start.js';
