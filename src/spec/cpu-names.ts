// CPU generations and EVC modes the lab file names (spec/lab-file.md "CPU generations and EVC
// modes"): plain data, apart from the zod schema (schema.ts), so that the CPU model and everything
// built on it (the engine, `trace`) load without zod.
export const GENERATIONS = {
  intel: ['merom', 'penryn', 'nehalem', 'westmere', 'sandybridge', 'ivybridge', 'haswell', 'broadwell', 'skylake',
    'cascadelake', 'icelake', 'sapphirerapids', 'silvermont'],
  amd: ['k10', 'bulldozer', 'piledriver', 'steamroller', 'zen', 'zen2', 'zen3', 'zen4'],
} as const;
export type Generation = (typeof GENERATIONS)['intel'][number] | (typeof GENERATIONS)['amd'][number];

export const EVC_MODES = [
  'intel-merom', 'intel-penryn', 'intel-nehalem', 'intel-westmere', 'intel-sandybridge', 'intel-ivybridge',
  'intel-haswell', 'intel-broadwell', 'intel-skylake', 'intel-cascadelake', 'intel-icelake', 'intel-sapphirerapids',
  'amd-rev-e', 'amd-rev-f', 'amd-greyhound-no3dnow', 'amd-greyhound', 'amd-bulldozer', 'amd-piledriver',
  'amd-steamroller', 'amd-zen', 'amd-zen2', 'amd-zen3', 'amd-zen4',
] as const;
export type EvcMode = (typeof EVC_MODES)[number];
