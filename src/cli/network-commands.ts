// The network: ping, trace, link down|up, capture start|stop|list, macs, groups. The engine and the data
// plane are loaded when a command runs (lazy.ts).
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { NetState } from '../net/state.js';
import { engine } from './lazy.js';
import { withLab, type Context } from './context.js';
import { CliError, EXIT, out, table } from './output.js';

function positive(v: string, flag: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError('usage', `${flag} takes a whole number from 1 to ${max}, got "${v}"`, EXIT.usage);
  return n;
}

export function registerNetworkCommands(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('ping')
    .description('ICMP echo between a VM, station or VMkernel port and another (or an IPv4 address), in virtual time')
    .argument('<src>', 'VM, VM/nicN, STATION, STATION/ethN or HOST/vmkN')
    .argument('<dst>', 'the same, or an IPv4 address')
    .option('--count <n>', 'echo requests to send (default 4)', (v) => positive(v, '--count', 1000))
    .option('--size <bytes>', 'ICMP data bytes (default 56)', (v) => positive(v, '--size', 65000))
    .action(async (src: string, dst: string, o: { count?: number; size?: number }, cmd: Command) => {
      const ctx = context(cmd);
      const { pingLab } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const r = pingLab(store, lab, src, dst, o);
        if (r.received < r.sent) ctx.setExit(EXIT.failed);
        ctx.out.result(r, () => {
          const lines = [`PING ${r.to} from ${r.from}: ${r.sent} packets`];
          for (const x of r.replies) lines.push(`  reply from ${r.to}: seq=${x.seq} ttl=${x.ttl} time=${x.rttMs} ms`);
          lines.push(`${r.sent} sent, ${r.received} received, ${r.lossPercent}% loss${r.rttMs ? `, rtt min/avg/max ${r.rttMs.min}/${r.rttMs.avg}/${r.rttMs.max} ms` : ''}`);
          if (!r.received) lines.push(out.dim(`  nestlab trace ${src} ${dst} shows where the frames die`));
          return lines.join('\n');
        });
      });
    });

  program
    .command('trace')
    .description('send one echo request (ARP first if needed) and explain every frame it caused, hop by hop')
    .argument('<src>', 'VM, VM/nicN, STATION or HOST/vmkN')
    .argument('<dst>', 'the same, or an IPv4 address')
    .action(async (src: string, dst: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { traceLab } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const r = traceLab(store, lab, src, dst);
        if (!r.delivered) ctx.setExit(EXIT.failed);
        ctx.out.result(r, () => {
          const lines = [`trace ${r.from} → ${r.to}: ${r.delivered ? out.green('echo reply received') : out.red('no reply')}`];
          r.frames.forEach((f, i) => {
            lines.push(`${out.bold(`${i + 1}. ${f.kind}`)}  ${f.src} → ${f.dst}${f.vlan ? ` vlan ${f.vlan}` : ''}  ${f.outcome === 'delivered' ? out.green('delivered') : out.red('dropped')}`);
            lines.push(table(['device', 'port', 'action', 'vlan', 'rule', 'reason'], f.hops.map((h) => [h.device, h.port, h.action === 'drop' ? out.red(h.action) : h.action, h.vlan || undefined, h.rule || undefined, h.reason || undefined])).replace(/^/gm, '   '));
            if (f.drop) lines.push(`   ${out.red('✖')} dropped at ${f.drop.device} (${f.drop.port}): ${f.drop.reason} ${out.dim(`[${f.drop.rule}]`)}`);
          });
          return lines.join('\n');
        });
      });
    });

  const link = program.command('link').description('take a link down or bring it up: HOST/NIC or SWITCH/PORT');
  for (const state of ['down', 'up'] as const) {
    link
      .command(state)
      .argument('<port>', 'HOST/NIC (esx1/vmnic0) or SWITCH/PORT (core/p1)')
      .action(async (point: string, _o, cmd: Command) => {
        const ctx = context(cmd);
        const { setLink } = await engine();
        await withLab(ctx, ({ store, lab }) => {
          const r = setLink(store, lab, point, state === 'up');
          ctx.out.result(r, () => `link ${r.port}: ${state === 'up' ? out.green('up') : out.red('down')}`);
        });
      });
  }

  const capture = program.command('capture').description('write the frames seen at a port to a pcap file (Wireshark, tshark)');
  capture
    .command('start')
    .argument('<point>', 'a VM NIC (web/nic0), host NIC (esx1/vmnic0), switch port (core/p1) or VMkernel port')
    .argument('<file>', 'the pcap file to write')
    .action(async (point: string, file: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { startCapture } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const r = startCapture(store, lab, point, resolve(file));
        ctx.out.result(r, () => `capturing at ${r.point} into ${r.file}`);
      });
    });
  capture
    .command('stop')
    .argument('<point>')
    .action(async (point: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { stopCapture } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const r = stopCapture(store, lab, point);
        ctx.out.result(r, () => `capture at ${r.point} stopped: ${r.frames} frames in ${r.file}`);
      });
    });
  capture
    .command('list')
    .action(async (_o, cmd: Command) => {
      const ctx = context(cmd);
      await withLab(ctx, ({ store, lab }) => {
        const state = JSON.parse(store.labState(lab.name, 'net') ?? '{"captures":{}}') as Pick<NetState, 'captures'>;
        const captures = Object.entries(state.captures).map(([point, file]) => ({ point, file }));
        ctx.out.result({ captures }, () => (captures.length ? table(['point', 'file'], captures.map((c) => [c.point, c.file])) : out.dim('no captures running')));
      });
    });

  program
    .command('macs')
    .description('the MAC table of a switch: physical switch, Linux or Open vSwitch bridge (HOST/br0), vSwitch (HOST/vSwitch0) or vDS proxy (DVS@HOST)')
    .argument('<switch>')
    .action(async (name: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { macTable } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const r = macTable(store, lab, name);
        ctx.out.result(r, () => `${out.bold(r.switch)}\n${table(['mac', 'vlan', 'port', 'type', 'age'], r.entries.map((e) => [e.mac, e.vlan, e.port, e.type, e.ageSeconds === undefined ? undefined : `${e.ageSeconds}s`]))}`);
      });
    });

  program
    .command('groups')
    .description('the multicast groups of a switch and the ports they go to: IGMP snooping tables with ages (vDS in snooping mode, physical switch, Linux bridge) or a vSwitch\'s registered multicast MACs')
    .argument('<switch>')
    .action(async (name: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { groupTable } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const r = groupTable(store, lab, name);
        ctx.out.result(r, () => {
          const rows = r.groups.flatMap((g) => g.ports.map((p) => [g.group ?? g.mac, g.vlan, p.port, p.ageSeconds === undefined ? undefined : `${p.ageSeconds}s`, p.expiresSeconds === undefined ? undefined : `${p.expiresSeconds}s`, p.sources ? `${p.filter} ${p.sources.join(' ')}` : undefined]));
          const lines = [`${out.bold(r.switch)}  ${r.mode === 'snooping' ? 'IGMP snooping' : r.mode === 'basic' ? 'basic multicast filtering (by MAC)' : 'no snooping: multicast floods'}`];
          if (rows.length) lines.push(table([r.mode === 'basic' ? 'mac' : 'group', 'vlan', 'port', 'age', 'expires', 'sources'], rows));
          else if (r.mode !== 'off') lines.push(out.dim('no groups'));
          if (r.mrouters.length) lines.push(table(['mrouter port', 'vlan', 'type', 'age'], r.mrouters.map((m) => [m.port, m.vlan ?? 'all', m.type, m.ageSeconds === undefined ? undefined : `${m.ageSeconds}s`])));
          if (r.queriers.length) lines.push(out.dim(`querier heard in VLAN ${r.queriers.map((q) => `${q.vlan} (${q.ageSeconds}s ago)`).join(', ')}`));
          return lines.join('\n');
        });
      });
    });
}
