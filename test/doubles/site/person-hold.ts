/**
 * A person hold (protocols/site/holds.ts) for tests: an active fever hold with no room, no
 * readings and nothing lifted; a test names what it relies on. Four test files had each spelled
 * out all sixteen fields.
 */
import type { PersonHold } from '../../../protocols/site/holds.ts';

export function personHold(o: Partial<PersonHold> & Pick<PersonHold, 'employeeNo'>): PersonHold {
  return {
    name: '',
    state: 'active',
    stage: 'fever',
    since: 0,
    updatedAt: 0,
    gateId: 'g',
    temperatureTenths: 382,
    readingIds: [],
    room: null,
    by: 'hub',
    note: '',
    liftedAt: null,
    liftedBy: null,
    liftReason: null,
    returnDate: null,
    ...o,
  };
}
