import Database from 'better-sqlite3';
import { CrashtestError } from '../../core/index.ts';
import type { AuditEntry, AuditLog, NewRule, Rule, RuleFilter, RulePatch, RuleState, RuleStore } from '../../respond/index.ts';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rules (
  id INTEGER PRIMARY KEY,
  state TEXT NOT NULL,
  action TEXT NOT NULL,
  switch_name TEXT NOT NULL,
  port TEXT NOT NULL,
  body TEXT NOT NULL,
  created_seconds REAL NOT NULL,
  applied_seconds REAL,
  expires_seconds REAL
);
CREATE INDEX IF NOT EXISTS rules_by_state ON rules (state, expires_seconds);
CREATE INDEX IF NOT EXISTS rules_by_port ON rules (switch_name, port, state);
CREATE INDEX IF NOT EXISTS rules_by_applied ON rules (applied_seconds);
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY,
  seconds REAL NOT NULL,
  event TEXT NOT NULL,
  rule_id INTEGER,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_rule ON audit_log (rule_id);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`;

interface RuleRow {
  id: number;
  body: string;
}

/**
 * Response rules and the append-only audit log in one SQLite file (WAL), shared by the daemon and
 * the CLI. A rule's state lives in its own column so every transition is a compare-and-set; the
 * rest of the rule is JSON. Triggers refuse any UPDATE or DELETE on the audit log.
 */
export class SqliteResponseStore implements RuleStore, AuditLog {
  private readonly db: Database.Database;
  private isClosed = false;
  private readonly statements;

  constructor(readonly path: string) {
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`store schema version ${version} is newer than this crashtest (${SCHEMA_VERSION})`);
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (error) {
      throw new CrashtestError('CT_ERR_JOURNAL_OPEN', `cannot open response store ${path}: ${(error as Error).message}`, { file: path }, { cause: error });
    }
    const db = this.db;
    this.statements = {
      insert: db.prepare(
        'INSERT INTO rules (state, action, switch_name, port, body, created_seconds, applied_seconds, expires_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      setBody: db.prepare('UPDATE rules SET body = ? WHERE id = ?'),
      get: db.prepare<[number], RuleRow>('SELECT id, body FROM rules WHERE id = ?'),
      transition: db.prepare('UPDATE rules SET state = ?, body = ?, applied_seconds = ?, expires_seconds = ? WHERE id = ? AND state = ?'),
      countApplied: db.prepare<[number], { count: number }>('SELECT count(*) AS count FROM rules WHERE applied_seconds >= ?'),
      activeForPort: db.prepare<[string, string], RuleRow>(
        "SELECT id, body FROM rules WHERE switch_name = ? AND port = ? AND state IN ('requested', 'applied') ORDER BY id DESC LIMIT 1",
      ),
      due: db.prepare<[number], RuleRow>("SELECT id, body FROM rules WHERE state = 'applied' AND expires_seconds <= ? ORDER BY expires_seconds"),
      audit: db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?'),
      auditForRule: db.prepare('SELECT * FROM audit_log WHERE rule_id = ? ORDER BY id DESC LIMIT ?'),
      append: db.prepare('INSERT INTO audit_log (seconds, event, rule_id, actor, detail) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  insert(rule: NewRule): Rule {
    this.assertOpen();
    return this.db.transaction(() => {
      const result = this.statements.insert.run(rule.state, rule.action, rule.target.switchName, rule.target.port, '{}', rule.createdSeconds, rule.appliedSeconds, rule.expiresSeconds);
      const stored: Rule = { id: Number(result.lastInsertRowid), ...rule };
      this.statements.setBody.run(JSON.stringify(stored), stored.id);
      return stored;
    })();
  }

  get(id: number): Rule | null {
    this.assertOpen();
    const row = this.statements.get.get(id);
    return row ? parse(row) : null;
  }

  list(filter: RuleFilter = {}): Rule[] {
    this.assertOpen();
    const states = filter.states ?? [];
    const where = states.length > 0 ? `WHERE state IN (${states.map(() => '?').join(', ')})` : '';
    const rows = this.db.prepare<unknown[], RuleRow>(`SELECT id, body FROM rules ${where} ORDER BY id DESC LIMIT ?`).all(...states, filter.limit ?? 100);
    return rows.map(parse);
  }

  transition(id: number, from: readonly RuleState[], patch: RulePatch): Rule | null {
    this.assertOpen();
    return this.db.transaction(() => {
      const current = this.get(id);
      if (!current || !from.includes(current.state)) return null;
      const next: Rule = { ...current, ...patch };
      const changed = this.statements.transition.run(next.state, JSON.stringify(next), next.appliedSeconds, next.expiresSeconds, id, current.state).changes;
      return changed === 1 ? next : null;
    }).immediate();
  }

  note(id: number, detail: string): void {
    this.assertOpen();
    this.db.transaction(() => {
      const current = this.get(id);
      if (current) this.statements.setBody.run(JSON.stringify({ ...current, detail }), id);
    }).immediate();
  }

  countAppliedSince(seconds: number): number {
    this.assertOpen();
    return this.statements.countApplied.get(seconds)!.count;
  }

  activeForPort(switchName: string, port: string): Rule | null {
    this.assertOpen();
    const row = this.statements.activeForPort.get(switchName, port);
    return row ? parse(row) : null;
  }

  dueForExpiry(nowSeconds: number): Rule[] {
    this.assertOpen();
    return this.statements.due.all(nowSeconds).map(parse);
  }

  append(entry: AuditEntry): void {
    this.assertOpen();
    this.statements.append.run(entry.seconds, entry.event, entry.ruleId, entry.actor, entry.detail);
  }

  entries(filter: { ruleId?: number; limit?: number } = {}): AuditEntry[] {
    this.assertOpen();
    const limit = filter.limit ?? 100;
    const rows = (
      filter.ruleId === undefined ? this.statements.audit.all(limit) : this.statements.auditForRule.all(filter.ruleId, limit)
    ) as { seconds: number; event: string; rule_id: number | null; actor: string; detail: string }[];
    return rows.map((row) => ({ seconds: row.seconds, event: row.event, ruleId: row.rule_id, actor: row.actor, detail: row.detail }));
  }

  /** Runs raw SQL; only tests use it, to show the audit log refuses changes. */
  unsafeExec(sql: string): void {
    this.db.exec(sql);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.isClosed) throw new CrashtestError('CT_ERR_INVALID_STATE', `response store ${this.path} used after close()`);
  }
}

function parse(row: RuleRow): Rule {
  return JSON.parse(row.body) as Rule;
}
