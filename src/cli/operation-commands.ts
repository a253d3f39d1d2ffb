// Operations on a running lab: power, advance.
import type { Command } from 'commander';
import { advance } from '../engine/apply.js';
import { Engine } from '../engine/engine.js';
import { power, type PowerAction } from '../engine/power.js';
import { parseDurationSeconds } from '../spec/units.js';
import { withLab, type Context } from './context.js';
import { CliError, EXIT, out } from './output.js';

export function registerOperationCommands(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('power')
    .description('power a VM on, off, or reset it')
    .argument('<action>', 'on | off | reset')
    .argument('<vm>', 'the VM')
    .action((action: string, vm: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      if (action !== 'on' && action !== 'off' && action !== 'reset') throw new CliError('usage', `power takes on, off or reset; got "${action}"`, EXIT.usage);
      withLab(ctx, ({ store, lab }) => {
        const result = store.transaction(() => {
          const engine = new Engine(store, lab);
          const outcome = engine.task(`power-${action}`, `vm:${vm}`, () => power(engine, action as PowerAction, vm));
          engine.save();
          return outcome;
        });
        if (!result.ok) throw result.error!;
        const state = result.value!.power;
        ctx.out.result({ name: vm, state, host: result.value!.host }, () => `${vm}: ${state === 'on' ? out.green('on') : out.dim(state)} (host ${result.value!.host})`);
      });
    });

  program
    .command('advance')
    .description('move virtual time forward, running what falls due')
    .argument('<duration>', 'e.g. 300s, 5m, 1h')
    .action((duration: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const seconds = parseDurationSeconds(duration);
      if (seconds === undefined) throw new CliError('invalid-duration', `"${duration}" is not a duration`, EXIT.invalid, {}, 'use 300s, 5m, 1h or a number of seconds');
      withLab(ctx, ({ store, lab }) => {
        const result = advance(store, lab, seconds);
        ctx.out.result(result, () => `lab ${result.lab}: virtual time is now T+${result.now}s`);
      });
    });
}
