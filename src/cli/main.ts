/** Entry point of the `gridshift` executable (bin/gridshift.js imports the built copy of this file). */
import { runCli } from './program.ts';

// `gridshift signals ... | head` closes the pipe early: that is not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await runCli(process.argv.slice(2));
