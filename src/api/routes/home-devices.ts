import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toIso } from '../../core/time.ts';
import {
  ADAPTER_TYPES,
  adapterSchema,
  DEVICE_ACTIONS,
  DEVICE_KINDS,
  type Device,
  devicePatchSchema,
  deviceSchema,
  type SavedState,
} from '../../home/device.ts';
import {
  addHomeDevice,
  findHomeDevice,
  listHomeDevices,
  removeHomeDevice,
  updateHomeDevice,
} from '../../home/devices.ts';
import type { ApiContext } from '../context.ts';
import { problemResponses } from '../problem.ts';
import { isoTime } from '../schemas.ts';

/** A home's devices: list and read (read scope); add, change and remove (admin: they let gridshift act on the home). */

export const homeDeviceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(DEVICE_KINDS),
    adapter: adapterSchema.describe(`how gridshift reaches it: type ${ADAPTER_TYPES.join(' | ')}`),
    ratedPowerW: z.number(),
    delegated: z.boolean().describe('whether gridshift may act on it'),
    action: z.enum(DEVICE_ACTIONS),
    limitPct: z.number().nullable().describe('limit_power: the share of rated power it may draw'),
    ecoMode: z.string().nullable().describe('eco_mode: the mode set (null: `eco`)'),
    runMin: z.number().int().nullable().describe('delay_start: how long one run lasts'),
    protectedWindows: z.array(z.string()).describe('daily HH:MM-HH:MM windows, home time, never acted in'),
    stateBefore: z
      .object({
        on: z.boolean(),
        mode: z.string().optional(),
        limitPct: z.number().optional(),
        action: z.enum(DEVICE_ACTIONS),
        savedAt: isoTime,
      })
      .nullable()
      .describe('its state before gridshift acted on it, kept until restored'),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'HomeDevice' });

export function homeDeviceView(d: Device): z.infer<typeof homeDeviceSchema> {
  return {
    id: d.id,
    name: d.name,
    kind: d.kind,
    adapter: d.adapter,
    ratedPowerW: d.ratedPowerW,
    delegated: d.delegated,
    action: d.action,
    limitPct: d.limitPct,
    ecoMode: d.ecoMode,
    runMin: d.runMin,
    protectedWindows: d.protectedWindows,
    stateBefore: d.stateBefore ? savedStateView(d.stateBefore) : null,
    createdAt: toIso(d.createdMs),
    updatedAt: toIso(d.updatedMs),
  };
}

function savedStateView({ savedAtMs, ...state }: SavedState) {
  return { ...state, savedAt: toIso(savedAtMs) };
}

const deviceParams = z.object({ device: z.string().min(1).max(200).describe('the device id or name') });

export const homeDeviceRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/home/devices',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['home'],
        summary: "List the home's devices",
        response: { 200: z.object({ devices: z.array(homeDeviceSchema) }), ...problemResponses(401, 403) },
      },
    },
    async () => ({ devices: (await listHomeDevices(ctx.store)).map(homeDeviceView) }),
  );

  app.get(
    '/v1/home/devices/:device',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['home'],
        summary: 'A device, by id or name',
        params: deviceParams,
        response: { 200: z.object({ device: homeDeviceSchema }), ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => ({ device: homeDeviceView(await findHomeDevice(ctx.store, request.params.device)) }),
  );

  app.post(
    '/v1/home/devices',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['home'],
        summary: 'Add a device',
        description:
          'Names are unique (409 for a name taken). Secrets are never part of a device: name the variables.',
        body: deviceSchema,
        response: { 201: z.object({ device: homeDeviceSchema }), ...problemResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const device = await addHomeDevice(ctx.store, request.body, { nowMs: ctx.nowMs() });
      request.log.info({ deviceId: device.id, name: device.name }, 'home device added');
      return reply.code(201).send({ device: homeDeviceView(device) });
    },
  );

  app.patch(
    '/v1/home/devices/:device',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['home'],
        summary: 'Change a device',
        description:
          'Only the fields given change; null clears limitPct, ecoMode or runMin. The result is checked whole.',
        params: deviceParams,
        body: devicePatchSchema,
        response: {
          200: z.object({ device: homeDeviceSchema }),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const device = await updateHomeDevice(ctx.store, request.params.device, request.body, {
        nowMs: ctx.nowMs(),
      });
      request.log.info({ deviceId: device.id, name: device.name }, 'home device changed');
      return { device: homeDeviceView(device) };
    },
  );

  app.delete(
    '/v1/home/devices/:device',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['home'],
        summary: 'Remove a device',
        params: deviceParams,
        response: { 204: z.undefined(), ...problemResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const device = await removeHomeDevice(ctx.store, request.params.device);
      request.log.info({ deviceId: device.id, name: device.name }, 'home device removed');
      return reply.code(204).send();
    },
  );
};
