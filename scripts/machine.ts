// One line naming the machine a report was measured on (bench, chaos and soak reports).
import os from 'node:os';

export function machineLine() {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, node ${process.version}`;
}
