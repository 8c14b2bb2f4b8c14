import type { HomeConfig } from '../core/home-config.ts';
import type { Log } from '../runner/context.ts';
import { MqttPool } from '../runner/dispatch/mqtt.ts';
import type { EventBus } from '../runner/events.ts';
import type { SignalRegistry } from '../signals/registry.ts';
import type { Store } from '../store/db.ts';
import { createHomeController, type HomeController, type HomeControllerOptions } from './controller.ts';
import { createNotifier } from './notifier.ts';
import { createHomePublisher } from './publish.ts';

/**
 * The home controller of a `gridshift serve` process, and its notifier when the home asks for notices, with
 * their own MQTT connection: started at once, closed with the process.
 */
export function startHomeController(
  home: HomeConfig,
  deps: { store: Store; registry: SignalRegistry; bus?: EventBus; log?: Log; now?: () => number },
  options: Pick<HomeControllerOptions, 'checkIntervalMs' | 'pv'> & { env?: NodeJS.ProcessEnv } = {},
): HomeController {
  const mqtt = new MqttPool({
    clientIdPrefix: 'gridshift-home',
    ...(options.env ? { env: options.env } : {}),
  });
  const controller = createHomeController({
    home,
    ...deps,
    ...options,
    publisher: createHomePublisher(home.publish, { mqtt, ...(options.env ? { env: options.env } : {}) }),
  });
  controller.start();
  const notifier = home.notify
    ? createNotifier(home, home.notify, { ...deps, mqtt, ...(options.env ? { env: options.env } : {}) })
    : undefined;
  notifier?.start();
  return {
    ...controller,
    home,
    async close() {
      await notifier?.close();
      await controller.close();
      await mqtt.close();
    },
  };
}
