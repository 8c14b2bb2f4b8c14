/**
 * The adapter for a device, by its adapter type: one file per protocol behind the DeviceAdapter interface.
 */
import type { Device } from '../device.ts';
import { homeAssistantAdapter } from './homeassistant.ts';
import { mqttAdapter } from './mqtt.ts';
import { shellyAdapter } from './shelly.ts';
import type { AdapterOptions, DeviceAdapter } from './types.ts';
import { type VirtualDevices, virtualAdapter } from './virtual.ts';

export * from './types.ts';

export function adapterFor(
  device: Pick<Device, 'name' | 'ratedPowerW' | 'adapter'>,
  options: AdapterOptions & { virtualDevices?: VirtualDevices } = {},
): DeviceAdapter {
  const a = device.adapter;
  switch (a.type) {
    case 'mqtt':
      return mqttAdapter(device, a, options);
    case 'shelly':
      return shellyAdapter(device, a, options);
    case 'homeassistant':
      return homeAssistantAdapter(device, a, options);
    case 'virtual':
      return virtualAdapter(device, a, { ...options, devices: options.virtualDevices });
  }
}
