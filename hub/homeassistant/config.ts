/**
 * The `homeAssistant` section of the hub's config (hub/config/schema.ts): MQTT discovery for Home
 * Assistant, off unless `enabled`.
 */
import { z } from 'zod';

export const HomeAssistantConfig = z.strictObject({
  enabled: z.boolean().default(false),
  /** Home Assistant's discovery prefix (its MQTT integration setting; `homeassistant` by default). */
  discoveryPrefix: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[^#+]+$/, 'a topic prefix without wildcards')
    .refine((p) => !p.startsWith('/') && !p.endsWith('/'), 'no leading or trailing "/"')
    .default('homeassistant'),
});
export type HomeAssistantConfig = z.infer<typeof HomeAssistantConfig>;
