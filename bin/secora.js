#!/usr/bin/env node
import { loadCli } from './load.js';

const { main, runCli } = await loadCli('secora.js');
await runCli(main, process.argv.slice(2));
