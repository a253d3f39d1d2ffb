// Where cluster services plug into VM placement and power changes. Feature modules (VMFS locks,
// vCenter's dvPort bindings, HA admission control, EVC) register here when loaded; power.ts and
// placement.ts call them. This module imports nothing at run time, so any module can register.
import type { Engine, OperationError } from './engine.js';

/**
 * Why a VM is being placed on a host: a user's power-on, an HA restart (failover is not subject
 * to HA admission control) or a vMotion of the running VM (its locks and dvPorts go with it).
 */
export type Placement = 'power-on' | 'restart' | 'vmotion';

/** A check a VM must pass to run on `host` for `why`: the refusal, or undefined. */
export type PlacementCheck = (engine: Engine, vm: string, host: string, why: Placement) => OperationError | undefined;
export const placementChecks: PlacementCheck[] = [];

/**
 * Before a VM powers on (a user's power-on, not a restart): may move its registration to the host
 * it should start on (DRS initial placement) — 'placed' when that host passed every power-on
 * check — or refuse with the reasons no host would do; undefined: not its business.
 */
export type HostChooser = (engine: Engine, vm: string) => OperationError | 'placed' | undefined;
export const hostChoosers: HostChooser[] = [];

/** Told when a VM powered on or off on a host (VMFS locks, EVC baselines, HA's maps follow the VM). */
export type PowerListener = (engine: Engine, vm: string, host: string, state: 'on' | 'off') => void;
export const powerListeners: PowerListener[] = [];

/** Told when a host can run VMs again without having failed: it left maintenance mode (HA retries its pending restarts). */
export type HostListener = (engine: Engine, host: string) => void;
export const hostAvailableListeners: HostListener[] = [];
