// Generates a lab at vCenter 8's configuration maxima (spec/compute.md §10): 2,500 hosts in
// clusters of at most 96, 40,000 powered-on VMs. A quarter of the VMs are declared with
// `cluster:` so initial placement runs too. Deterministic: same arguments, same file.
//   node --import tsx bench/gen-lab.ts [hosts=2500] [vms=40000] > maxima.yaml
export function generateLab(hosts = 2500, vms = 40000, clusterSize = 96): string {
  const clusters = Math.ceil(hosts / clusterSize);
  const out: string[] = [
    'lab: maxima',
    'description: generated at vCenter configuration maxima',
    'vcenter: external',
    'network:',
    '  switches:',
    '    - name: fabric',
    '      ports: { default: { mode: trunk } }',
    'datastores:',
  ];
  for (let c = 0; c < clusters; c++) {
    const members = Array.from({ length: Math.min(clusterSize, hosts - c * clusterSize) }, (_, i) => `esx-${c * clusterSize + i}`);
    out.push(`  - { name: nfs-${c}, type: nfs, capacity: 64TB, hosts: [${members.join(', ')}] }`);
  }
  out.push('hosts:');
  for (let h = 0; h < hosts; h++) {
    out.push(
      `  - name: esx-${h}`,
      '    cpu: xeon-gold-6248',
      '    memory: 768GB',
      `    nics: [{ name: vmnic0, connect: fabric/p${h}a }, { name: vmnic1, connect: fabric/p${h}b }]`,
      '    switches:',
      '      - name: vSwitch0',
      '        uplinks: [vmnic0, vmnic1]',
      '        portgroups:',
      `          - { name: Management, vmkernel: [{ name: vmk0, ip: 10.${(h >> 8) & 255}.${h & 255}.10/16, services: [management] }] }`,
      '          - { name: VM Network, vlan: 100 }',
    );
  }
  out.push('clusters:');
  for (let c = 0; c < clusters; c++) {
    const members = Array.from({ length: Math.min(clusterSize, hosts - c * clusterSize) }, (_, i) => `esx-${c * clusterSize + i}`);
    out.push(`  - { name: cluster-${c}, evc: intel-skylake, drs: { enabled: true }, ha: { enabled: true }, hosts: [${members.join(', ')}] }`);
  }
  out.push('vms:');
  for (let v = 0; v < vms; v++) {
    const h = v % hosts;
    const c = Math.floor(h / clusterSize);
    const where = v % 4 === 3 ? `cluster: cluster-${c}` : `host: esx-${h}`;
    out.push(`  - { name: vm-${v}, ${where}, cpus: 2, memory: 4GB, nics: [{ network: VM Network }], disks: [{ datastore: nfs-${c}, size: 40GB }] }`);
  }
  return `${out.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [hosts, vms] = process.argv.slice(2).map(Number);
  process.stdout.write(generateLab(hosts || 2500, vms || 40000));
}
