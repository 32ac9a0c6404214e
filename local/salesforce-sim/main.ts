import { parseArgs } from 'node:util';
import { startSalesforceSim } from './index.ts';

/** `npx tsx local/salesforce-sim/main.ts --port 8484 [--host 127.0.0.1]`: prints the URL, runs until stopped. */
const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be 0-65535, got ${values.port}`);
  process.exit(2);
}
const sim = await startSalesforceSim({ port, host: values.host });
console.log(sim.url);
const stop = () => {
  void sim.stop().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
