// The `nestlab` command. Thin: parse arguments, call the engine, print. Exit codes follow
// spec/cli.md: 0 ok, 1 invalid input, 2 usage, 3 an operation failed, 4 internal error.
import { Command, CommanderError, Option } from 'commander';
import { OperationError } from '../engine/engine.js';
import { StateError } from '../store/store.js';
import { CliError, EXIT, Output } from './output.js';
import { registerLabCommands } from './lab-commands.js';
import { registerInventoryCommands } from './inventory-commands.js';
import { registerOperationCommands } from './operation-commands.js';
import { registerNetworkCommands } from './network-commands.js';
import { registerClusterCommands } from './cluster-commands.js';
import { registerHaCommands } from './ha-commands.js';
import { registerDrsCommands } from './drs-commands.js';
import type { Context } from './context.js';

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const output = new Output(json);
  let exitCode: number = EXIT.ok;
  const program = new Command('nestlab')
    .description('Nested-virtualization labs as code: ESXi and KVM hosts, vSwitches, vDS, nested hypervisors and clusters, simulated deterministically.')
    .version('0.1.0')
    .addOption(new Option('--json', 'print one JSON document on stdout'))
    .addOption(new Option('--state <dir>', 'state directory (default $NESTLAB_STATE, else ./.nestlab)'))
    .addOption(new Option('--lab <name>', 'the lab to act on when the state holds several'))
    .showHelpAfterError('(run nestlab --help for usage)')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => { if (!json) process.stderr.write(s); },
      writeOut: (s) => process.stdout.write(s),
    });

  const context = (cmd: Command): Context => {
    const o = cmd.optsWithGlobals<{ json?: boolean; state?: string; lab?: string }>();
    return { out: output, stateDir: o.state ?? process.env.NESTLAB_STATE ?? '.nestlab', ...(o.lab !== undefined ? { lab: o.lab } : {}), setExit: (c) => { exitCode = Math.max(exitCode, c); } };
  };
  registerLabCommands(program, context);
  registerInventoryCommands(program, context);
  registerOperationCommands(program, context);
  registerNetworkCommands(program, context);
  registerClusterCommands(program, context);
  registerHaCommands(program, context);
  registerDrsCommands(program, context);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    return report(output, e);
  }
}

function report(output: Output, e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
    if (output.json) output.error(new CliError('usage', e.message.replace(/^error: /, ''), EXIT.usage));
    return EXIT.usage;
  }
  if (e instanceof CliError) {
    output.error(e);
    return e.exit;
  }
  if (e instanceof OperationError) {
    // Unknown names and lab selection are bad input (1); a refused operation is a failure (3).
    const invalid = ['unknown-vm', 'unknown-lab', 'unknown-object', 'ambiguous-name', 'ambiguous-lab', 'no-lab', 'file-not-found', 'file-too-large', 'file-unreadable', 'unknown-endpoint', 'unknown-port', 'unknown-switch', 'no-ip', 'drs-disabled'];
    output.error(new CliError(e.code, e.message, invalid.includes(e.code) ? EXIT.invalid : EXIT.failed, e.details));
    return invalid.includes(e.code) ? EXIT.invalid : EXIT.failed;
  }
  if (e instanceof StateError) {
    output.error(new CliError(e.code, e.message, EXIT.invalid, {}, e.hint));
    return EXIT.invalid;
  }
  const error = e instanceof Error ? e : new Error(String(e));
  output.error(new CliError('internal-error', `internal error (a bug in nestlab): ${error.message}`, EXIT.internal, {}, 'please report it with the command and lab file'));
  if (!output.json && error.stack) process.stderr.write(`${error.stack}\n`);
  return EXIT.internal;
}
