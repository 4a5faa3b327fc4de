/** Reads a scenario from JSON or YAML and validates it, failing with the key path of the problem. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describeIssues } from '../../protocols/parse.ts';
import { SimError, SimErrorCode } from '../errors.ts';
import { Scenario, type ScenarioInput } from './schema.ts';

/** Validates an already-parsed object; `source` names it in the error (a file name, "--random"). */
export function parseScenario(data: unknown, source = 'scenario'): Scenario {
  const r = Scenario.safeParse(data);
  if (!r.success)
    throw new SimError(SimErrorCode.SCENARIO_INVALID, `${source}: ${describeIssues(r.error.issues)}`);
  return r.data;
}

export function parseScenarioText(text: string, format: 'json' | 'yaml', source = 'scenario'): Scenario {
  let data: unknown;
  try {
    data = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new SimError(
      SimErrorCode.SCENARIO_INVALID,
      `${source}: not valid ${format.toUpperCase()}: ${(err as Error).message}`,
    );
  }
  return parseScenario(data, source);
}

export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SimError(SimErrorCode.SCENARIO_INVALID, `${path}: cannot read: ${(err as Error).message}`);
  }
  const ext = extname(path).toLowerCase();
  // YAML is a superset of JSON, so anything that is not .json goes through the YAML parser.
  return parseScenarioText(text, ext === '.json' ? 'json' : 'yaml', path);
}

export type { Scenario, ScenarioInput };
