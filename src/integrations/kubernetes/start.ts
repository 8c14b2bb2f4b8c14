import type { GridshiftConfig } from '../../core/config.ts';
import { InputError } from '../../core/errors.ts';
import type { ControllerConfig } from '../../core/kubernetes-config.ts';
import type { Log } from '../../runner/context.ts';
import type { SignalRegistry } from '../../signals/registry.ts';
import type { Db } from '../../store/db.ts';
import { clusterClients } from './cluster.ts';
import { type Controller, createController } from './controller.ts';
import { readZone } from './signal.ts';

/** The Kubernetes controller built from the configuration, for `gridshift k8s controller` and `serve --k8s-controller`. */

/** The controller's settings, or bad input saying where to configure them. */
export function controllerConfigOf(config: GridshiftConfig): ControllerConfig {
  const c = config.kubernetesController;
  if (!c)
    throw new InputError(
      `no kubernetes.controller in the configuration${config.file ? ` (${config.file})` : ''}: add rules or caps (see docs/kubernetes.md)`,
    );
  return c;
}

/** A controller over the configured cluster, reading signals from `registry` and logging to `db`. */
export async function buildController(
  config: GridshiftConfig,
  registry: SignalRegistry,
  db: Db,
  options: { dryRun?: boolean; log?: Log; env?: NodeJS.ProcessEnv } = {},
): Promise<Controller> {
  const settings = controllerConfigOf(config);
  const clients = await clusterClients(settings, options.env);
  return createController({
    clients,
    config: settings,
    scaling: config.scaling,
    read: (zone, nowMs) => readZone(registry, config, zone, nowMs),
    db,
    ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
}
