// CPU catalog and EVC model (spec/compute.md §4 nested-virtualization requirements, §5 EVC;
// spec/lab-file.md "CPU generations and EVC modes" and hosts.cpu).
//
// Features are lower case, as Linux names CPU flags in /proc/cpuinfo: `pni` is SSE3, `abm` is
// LZCNT (plus POPCNT on AMD), `fma` is FMA3, `sha_ni` is SHA, `3dnowprefetch` is PREFETCHW,
// `lahf_lm` is LAHF/SAHF in 64-bit mode. Two names are nestlab's own: `ept`/`npt` for the
// second-level MMU (Linux lists them under "vmx flags"/as `npt`) and `vmcs-shadowing`.
//
// Layout: per-generation feature tables, the catalog, the EVC baseline tables, then functions.
import { EVC_MODES, GENERATIONS } from '../spec/cpu-names.js';
import type { CustomCpuSpec, EvcMode, Generation } from '../spec/schema.js';

export type Vendor = 'intel' | 'amd';

export interface Cpu {
  id: string;
  model: string;
  vendor: Vendor;
  generation: Generation;
  sockets: number;
  /** per socket */
  cores: number;
  /** per socket */
  threads: number;
  /** nominal (base) clock */
  mhz: number;
  features: ReadonlySet<string>;
}

/** `'avx2 fma bmi1'` → `['avx2', 'fma', 'bmi1']`: keeps the tables below compact. */
const f = (list: string): readonly string[] => list.split(/\s+/).filter((s) => s !== '');

// ---- per-generation feature tables ------------------------------------------------------------
//
// Each profile is its parent's features, minus `remove`, plus `add`. A profile is a generation,
// except `skylake-client` (Skylake/Kaby/Coffee Lake desktop and Xeon E3 v5/v6, E-2100): the same
// generation as Skylake-SP but without AVX-512, CLWB or PKU.

type Profile = Generation | 'skylake-client';

interface ProfileDef {
  generation: Generation;
  parent?: Profile;
  add: readonly string[];
  remove?: readonly string[];
}

const PROFILES: Record<Profile, ProfileDef> = {
  // Intel. VT-x since Merom; EPT and VPID since Nehalem; VMCS shadowing since Haswell.
  merom: {
    generation: 'merom',
    add: f('fpu tsc cx8 cmov clflush mmx fxsr sse sse2 syscall lm nx pni ssse3 cx16 lahf_lm vmx'),
  },
  penryn: { generation: 'penryn', parent: 'merom', add: f('sse4_1') },
  nehalem: { generation: 'nehalem', parent: 'penryn', add: f('sse4_2 popcnt rdtscp ept vpid') },
  westmere: { generation: 'westmere', parent: 'nehalem', add: f('aes pclmulqdq pcid') },
  sandybridge: { generation: 'sandybridge', parent: 'westmere', add: f('avx xsave xsaveopt') },
  ivybridge: { generation: 'ivybridge', parent: 'sandybridge', add: f('rdrand f16c fsgsbase smep erms') },
  haswell: {
    generation: 'haswell',
    parent: 'ivybridge',
    add: f('avx2 fma bmi1 bmi2 movbe invpcid abm hle rtm vmcs-shadowing'),
  },
  broadwell: { generation: 'broadwell', parent: 'haswell', add: f('smap adx rdseed 3dnowprefetch') },
  'skylake-client': { generation: 'skylake', parent: 'broadwell', add: f('clflushopt xsavec xsaves') },
  skylake: {
    generation: 'skylake',
    parent: 'skylake-client',
    add: f('avx512f avx512cd avx512bw avx512dq avx512vl clwb pku'),
  },
  cascadelake: { generation: 'cascadelake', parent: 'skylake', add: f('avx512_vnni') },
  icelake: {
    generation: 'icelake',
    parent: 'cascadelake',
    add: f('avx512vbmi avx512_vbmi2 avx512ifma avx512_bitalg avx512_vpopcntdq gfni vaes vpclmulqdq sha_ni rdpid umip'),
  },
  sapphirerapids: {
    generation: 'sapphirerapids',
    parent: 'icelake',
    add: f('amx_tile amx_bf16 amx_int8 avx512_fp16 avx512_bf16 avx_vnni serialize movdiri movdir64b cldemote tsxldtrk'),
  },
  // Atom C2000 (Avoton): Westmere-class SSE4.2/AES plus MOVBE, RDRAND, SMEP, ERMS, but no AVX or
  // XSAVE (compute.md §5 "Intel Atom C2750") and no VMCS shadowing.
  silvermont: {
    generation: 'silvermont',
    parent: 'nehalem',
    add: f('aes pclmulqdq movbe rdrand smep erms 3dnowprefetch'),
  },

  // AMD. AMD-V and RVI (nested page tables) since K10 (Barcelona).
  k10: {
    generation: 'k10',
    add: f('fpu tsc cx8 cmov clflush mmx mmxext fxsr sse sse2 syscall lm nx pni cx16 lahf_lm rdtscp '
      + '3dnow 3dnowext 3dnowprefetch sse4a misalignsse popcnt abm svm npt'),
  },
  bulldozer: {
    generation: 'bulldozer',
    parent: 'k10',
    remove: f('3dnow 3dnowext'),
    add: f('ssse3 sse4_1 sse4_2 aes pclmulqdq avx xsave xop fma4'),
  },
  piledriver: { generation: 'piledriver', parent: 'bulldozer', add: f('fma bmi1 tbm f16c') },
  steamroller: { generation: 'steamroller', parent: 'piledriver', add: f('xsaveopt fsgsbase') },
  zen: {
    generation: 'zen',
    parent: 'steamroller',
    remove: f('xop fma4 tbm'), // Zen dropped the Bulldozer-family extensions
    add: f('avx2 bmi2 movbe adx rdrand rdseed smep smap sha_ni clflushopt xsavec xsaves clzero'),
  },
  zen2: { generation: 'zen2', parent: 'zen', add: f('clwb umip rdpid wbnoinvd') },
  zen3: { generation: 'zen3', parent: 'zen2', add: f('invpcid pku vaes vpclmulqdq shstk') },
  zen4: {
    generation: 'zen4',
    parent: 'zen3',
    add: f('avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16 avx512vbmi avx512_vbmi2 '
      + 'avx512_vnni avx512_bitalg avx512_vpopcntdq gfni'),
  },
};

function profileFeatures(profile: Profile): Set<string> {
  const def = PROFILES[profile];
  const out = def.parent ? profileFeatures(def.parent) : new Set<string>();
  for (const x of def.remove ?? []) out.delete(x);
  for (const x of def.add) out.add(x);
  return out;
}

const INTEL_GENERATIONS: ReadonlySet<string> = new Set(GENERATIONS.intel);
const vendorOf = (g: Generation): Vendor => (INTEL_GENERATIONS.has(g) ? 'intel' : 'amd');

// ---- catalog ---------------------------------------------------------------------------------
//
// One entry is one processor package (sockets: 1); a host with several sockets is a custom CPU.
// Cores, threads and base clocks are the vendors' published figures.

// id, model, profile, cores, threads, base MHz
const CATALOG_ROWS: readonly (readonly [string, string, Profile, number, number, number])[] = [
  // Intel
  ['xeon-5160', 'Intel Xeon 5160', 'merom', 2, 2, 3000],
  ['xeon-l5420', 'Intel Xeon L5420', 'penryn', 4, 4, 2500], // VT-x without EPT
  ['xeon-x5570', 'Intel Xeon X5570', 'nehalem', 4, 8, 2930],
  ['xeon-x5670', 'Intel Xeon X5670', 'westmere', 6, 12, 2930],
  ['xeon-e5-2670', 'Intel Xeon E5-2670', 'sandybridge', 8, 16, 2600],
  ['xeon-e5-2680-v2', 'Intel Xeon E5-2680 v2', 'ivybridge', 10, 20, 2800],
  ['xeon-e3-1230-v3', 'Intel Xeon E3-1230 v3', 'haswell', 4, 8, 3300],
  ['core-i7-4770', 'Intel Core i7-4770', 'haswell', 4, 8, 3400],
  ['xeon-e5-2680-v3', 'Intel Xeon E5-2680 v3', 'haswell', 12, 24, 2500],
  ['xeon-e5-2680-v4', 'Intel Xeon E5-2680 v4', 'broadwell', 14, 28, 2400],
  ['core-i5-8500', 'Intel Core i5-8500', 'skylake-client', 6, 6, 3000],
  ['xeon-gold-6130', 'Intel Xeon Gold 6130', 'skylake', 16, 32, 2100],
  ['xeon-gold-6248', 'Intel Xeon Gold 6248', 'cascadelake', 20, 40, 2500],
  ['xeon-gold-6338', 'Intel Xeon Gold 6338', 'icelake', 32, 64, 2000],
  ['xeon-gold-6430', 'Intel Xeon Gold 6430', 'sapphirerapids', 32, 64, 2100],
  ['atom-c2750', 'Intel Atom C2750', 'silvermont', 8, 8, 2400],
  // AMD
  ['opteron-6174', 'AMD Opteron 6174', 'k10', 12, 12, 2200],
  ['opteron-6272', 'AMD Opteron 6272', 'bulldozer', 16, 16, 2100],
  ['opteron-6380', 'AMD Opteron 6380', 'piledriver', 16, 16, 2500],
  ['a10-7850k', 'AMD A10-7850K', 'steamroller', 4, 4, 3700],
  ['epyc-7281', 'AMD EPYC 7281', 'zen', 16, 32, 2100],
  ['epyc-7302', 'AMD EPYC 7302', 'zen2', 16, 32, 3000],
  ['epyc-7543', 'AMD EPYC 7543', 'zen3', 32, 64, 2800],
  ['ryzen-5950x', 'AMD Ryzen 9 5950X', 'zen3', 16, 32, 3400],
  ['epyc-9354', 'AMD EPYC 9354', 'zen4', 32, 64, 3250],
];

export const CPU_CATALOG: ReadonlyMap<string, Cpu> = new Map(
  CATALOG_ROWS.map(([id, model, profile, cores, threads, mhz]) => {
    const generation = PROFILES[profile].generation;
    const cpu: Cpu = {
      id, model, vendor: vendorOf(generation), generation, sockets: 1, cores, threads, mhz,
      features: profileFeatures(profile),
    };
    return [id, Object.freeze(cpu)] as const;
  }),
);

// ---- EVC baselines (compute.md §5 "Baselines") ----------------------------------------------
//
// Each mode's features are its parent's plus `add` (cumulative, as in §5: "a CPU whose maximum is
// level XN supports every level below it"). Only the headline features of §5 are listed; those
// that do not survive up the track are left out so the track stays monotone:
//   * XOP, FMA4 (Bulldozer) and TBM (Piledriver) — Zen dropped them, and Zen hosts must still
//     satisfy the Bulldozer…Steamroller modes below amd-zen on the same track;
//   * Cascade Lake's XGETBV ECX=1 has no Linux flag.
// AMD has two tracks (§5): A0 rev-e → A1 rev-f → A2 greyhound-no3dnow → A3 greyhound (with
// 3DNow!), and B0 = A2 → B1 bulldozer → … → B7 zen4. amd-greyhound is NOT below amd-bulldozer.

export interface EvcBaseline {
  mode: EvcMode;
  vendor: Vendor;
  /** depth on its track: Intel L0…L11 → 0…11; AMD A0…A3 → 0…3, B0…B7 → 2…9 */
  level: number;
  /** VMware's name for the level: L0…L11, A0…A3, B1…B7 (greyhound-no3dnow is A2 = B0) */
  label: string;
  /** the mode directly below on the same track */
  parent?: EvcMode;
  /** cumulative */
  features: ReadonlySet<string>;
}

interface BaselineDef {
  vendor: Vendor;
  label: string;
  parent?: EvcMode;
  add: readonly string[];
}

const BASELINE_DEFS: Record<EvcMode, BaselineDef> = {
  'intel-merom': { vendor: 'intel', label: 'L0', add: f('pni ssse3 cx16 lahf_lm nx') },
  'intel-penryn': { vendor: 'intel', label: 'L1', parent: 'intel-merom', add: f('sse4_1') },
  'intel-nehalem': { vendor: 'intel', label: 'L2', parent: 'intel-penryn', add: f('sse4_2 popcnt') },
  'intel-westmere': { vendor: 'intel', label: 'L3', parent: 'intel-nehalem', add: f('aes pclmulqdq') },
  'intel-sandybridge': { vendor: 'intel', label: 'L4', parent: 'intel-westmere', add: f('avx xsave') },
  'intel-ivybridge': {
    vendor: 'intel', label: 'L5', parent: 'intel-sandybridge', add: f('rdrand f16c fsgsbase smep erms'),
  },
  'intel-haswell': {
    vendor: 'intel', label: 'L6', parent: 'intel-ivybridge', add: f('avx2 fma bmi1 bmi2 movbe invpcid abm'),
  },
  'intel-broadwell': {
    vendor: 'intel', label: 'L7', parent: 'intel-haswell', add: f('hle rtm smap adx rdseed 3dnowprefetch'),
  },
  'intel-skylake': {
    vendor: 'intel', label: 'L8', parent: 'intel-broadwell',
    add: f('avx512f avx512cd avx512bw avx512dq avx512vl clflushopt clwb pku xsavec xsaves'),
  },
  'intel-cascadelake': { vendor: 'intel', label: 'L9', parent: 'intel-skylake', add: f('avx512_vnni') },
  'intel-icelake': {
    vendor: 'intel', label: 'L10', parent: 'intel-cascadelake',
    add: f('avx512vbmi avx512_vbmi2 avx512ifma avx512_bitalg avx512_vpopcntdq gfni vaes vpclmulqdq sha_ni rdpid umip'),
  },
  'intel-sapphirerapids': {
    vendor: 'intel', label: 'L11', parent: 'intel-icelake',
    add: f('amx_tile amx_bf16 amx_int8 avx512_fp16 avx512_bf16 avx_vnni serialize movdiri movdir64b cldemote tsxldtrk'),
  },

  'amd-rev-e': { vendor: 'amd', label: 'A0', add: f('pni lahf_lm nx') },
  'amd-rev-f': { vendor: 'amd', label: 'A1', parent: 'amd-rev-e', add: f('cx16 rdtscp') },
  'amd-greyhound-no3dnow': {
    vendor: 'amd', label: 'A2', parent: 'amd-rev-f', add: f('sse4a misalignsse popcnt abm'),
  },
  'amd-greyhound': { vendor: 'amd', label: 'A3', parent: 'amd-greyhound-no3dnow', add: f('3dnow 3dnowext') },
  'amd-bulldozer': {
    vendor: 'amd', label: 'B1', parent: 'amd-greyhound-no3dnow',
    add: f('ssse3 sse4_1 sse4_2 aes pclmulqdq avx xsave'),
  },
  'amd-piledriver': { vendor: 'amd', label: 'B2', parent: 'amd-bulldozer', add: f('fma bmi1 f16c') },
  'amd-steamroller': { vendor: 'amd', label: 'B3', parent: 'amd-piledriver', add: f('xsaveopt fsgsbase') },
  'amd-zen': {
    vendor: 'amd', label: 'B4', parent: 'amd-steamroller',
    add: f('avx2 bmi2 movbe adx rdrand rdseed smep smap sha_ni clflushopt xsavec xsaves clzero'),
  },
  'amd-zen2': { vendor: 'amd', label: 'B5', parent: 'amd-zen', add: f('clwb umip rdpid wbnoinvd') },
  'amd-zen3': { vendor: 'amd', label: 'B6', parent: 'amd-zen2', add: f('invpcid pku vaes vpclmulqdq shstk') },
  'amd-zen4': {
    vendor: 'amd', label: 'B7', parent: 'amd-zen3',
    add: f('avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16 avx512vbmi avx512_vbmi2 '
      + 'avx512_vnni avx512_bitalg avx512_vpopcntdq gfni'),
  },
};

function buildBaseline(mode: EvcMode): EvcBaseline {
  const def = BASELINE_DEFS[mode];
  const below = def.parent ? buildBaseline(def.parent) : undefined;
  const features = new Set(below?.features);
  for (const x of def.add) features.add(x);
  const baseline: EvcBaseline = {
    mode, vendor: def.vendor, level: below ? below.level + 1 : 0, label: def.label, features,
  };
  if (def.parent) baseline.parent = def.parent;
  return Object.freeze(baseline);
}

/** In the schema's order of EVC_MODES. */
export const EVC_BASELINES: ReadonlyMap<EvcMode, EvcBaseline> = new Map(
  EVC_MODES.map((mode) => [mode, buildBaseline(mode)] as const),
);

/**
 * Modes from most to least capable: the order maxEvcMode and commonEvcMode search. The AMD main
 * track (B7 … B1) comes before amd-greyhound (A3), which is only chosen when no Bulldozer-or-later
 * mode fits, e.g. on K10.
 */
const EVC_PREFERENCE: readonly EvcMode[] = [
  'intel-sapphirerapids', 'intel-icelake', 'intel-cascadelake', 'intel-skylake', 'intel-broadwell',
  'intel-haswell', 'intel-ivybridge', 'intel-sandybridge', 'intel-westmere', 'intel-nehalem',
  'intel-penryn', 'intel-merom',
  'amd-zen4', 'amd-zen3', 'amd-zen2', 'amd-zen', 'amd-steamroller', 'amd-piledriver', 'amd-bulldozer',
  'amd-greyhound', 'amd-greyhound-no3dnow', 'amd-rev-f', 'amd-rev-e',
];

/** The mode named after a generation (lab-file.md): `intel-<gen>`, `amd-<gen>`, K10 → amd-greyhound; Silvermont has none. */
const GENERATION_EVC: Partial<Record<Generation, EvcMode>> = {
  merom: 'intel-merom', penryn: 'intel-penryn', nehalem: 'intel-nehalem', westmere: 'intel-westmere',
  sandybridge: 'intel-sandybridge', ivybridge: 'intel-ivybridge', haswell: 'intel-haswell',
  broadwell: 'intel-broadwell', skylake: 'intel-skylake', cascadelake: 'intel-cascadelake',
  icelake: 'intel-icelake', sapphirerapids: 'intel-sapphirerapids',
  k10: 'amd-greyhound', bulldozer: 'amd-bulldozer', piledriver: 'amd-piledriver',
  steamroller: 'amd-steamroller', zen: 'amd-zen', zen2: 'amd-zen2', zen3: 'amd-zen3', zen4: 'amd-zen4',
};

// ---- functions ---------------------------------------------------------------------------------

/** A catalog id → its entry; a custom spec → a Cpu with id 'custom' and exactly the listed features. */
export function resolveCpu(spec: string | CustomCpuSpec): Cpu | undefined {
  if (typeof spec === 'string') return CPU_CATALOG.get(spec);
  return {
    id: 'custom',
    model: spec.model ?? `custom ${spec.vendor} ${spec.generation}`,
    vendor: spec.vendor,
    generation: spec.generation,
    sockets: spec.sockets,
    cores: spec.cores,
    threads: spec.threads ?? spec.cores,
    mhz: spec.mhz,
    features: new Set(spec.features),
  };
}

export function catalogIds(): string[] {
  return [...CPU_CATALOG.keys()].sort();
}

/** The EVC mode VMware names after a generation, if any (Silvermont has none). */
export function evcModeForGeneration(generation: Generation): EvcMode | undefined {
  return GENERATION_EVC[generation];
}

export type EvcSupport = { ok: true } | { ok: false; reason: 'vendor-mismatch' | 'missing-features'; missing: string[] };

/**
 * compute.md §5: a CPU supports a mode iff it is of the mode's vendor ("Intel and AMD cannot be
 * mixed") and has every feature of the cumulative baseline. `missing` is in baseline order.
 */
export function supportsEvcMode(cpu: Cpu, mode: EvcMode): EvcSupport {
  const baseline = EVC_BASELINES.get(mode);
  if (!baseline) throw new Error(`unknown EVC mode ${mode}`);
  if (baseline.vendor !== cpu.vendor) return { ok: false, reason: 'vendor-mismatch', missing: [] };
  const missing = [...baseline.features].filter((x) => !cpu.features.has(x));
  return missing.length === 0 ? { ok: true } : { ok: false, reason: 'missing-features', missing };
}

/**
 * The highest mode every CPU supports (one vendor, main track first: see EVC_PREFERENCE);
 * undefined for no CPUs, mixed vendors, or CPUs below the vendor's first baseline.
 */
export function commonEvcMode(cpus: Iterable<Cpu>): EvcMode | undefined {
  const list = [...cpus];
  if (list.length === 0) return undefined;
  return EVC_PREFERENCE.find((mode) => list.every((cpu) => supportsEvcMode(cpu, mode).ok));
}

/**
 * The CPU's highest mode on its vendor's main track (Intel L0…L11; AMD A0…A2, B1…B7). The one
 * exception: a CPU that tops out at amd-greyhound-no3dnow but has 3DNow! (K10) gets amd-greyhound.
 */
export function maxEvcMode(cpu: Cpu): EvcMode | undefined {
  return commonEvcMode([cpu]);
}

/**
 * compute.md §4: nested hardware virtualization needs VT-x + EPT (Intel) or AMD-V + RVI (AMD).
 * vt: vmx/svm; mmu: ept/npt (second-level address translation).
 */
export function hardwareVirtualization(cpu: Cpu): { vt: boolean; mmu: boolean; label: string } {
  const intel = cpu.vendor === 'intel';
  const vt = cpu.features.has(intel ? 'vmx' : 'svm');
  const mmu = cpu.features.has(intel ? 'ept' : 'npt');
  const [vtName, mmuName] = intel ? ['VT-x', 'EPT'] : ['AMD-V', 'RVI'];
  let label: string;
  if (vt && mmu) label = `${vtName} + ${mmuName}`;
  else if (vt) label = `${vtName} (no ${mmuName})`;
  else label = 'no hardware virtualization';
  return { vt, mmu, label };
}
