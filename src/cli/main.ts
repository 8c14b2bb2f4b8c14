/** Entry point of the `gridshift` executable (bin/gridshift.js imports the built copy of this file). */
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2));
