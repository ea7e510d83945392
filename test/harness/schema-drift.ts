import internals from "@prisma/internals";
import pg from "pg";

type Datamodel = Awaited<ReturnType<typeof internals.getDMMF>>["datamodel"];
type Model = Datamodel["models"][number];
type Field = Model["fields"][number];

interface DatabaseColumn {
  /** `format_type` of the column, or `enum <name>` (`[]` for a list) for enum columns. */
  type: string;
  notNull: boolean;
}

interface DatabaseIndex {
  name: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
  partial: boolean;
}

interface DatabaseTable {
  columns: Map<string, DatabaseColumn>;
  indexes: DatabaseIndex[];
}

/** What one PostgreSQL schema holds, as far as a Prisma datamodel can describe it. */
export interface DatabaseShape {
  tables: Map<string, DatabaseTable>;
  enums: Map<string, string[]>;
}

const COLUMNS = `
SELECT c.relname AS "table", a.attname AS "column", a.attnotnull AS "notNull",
       CASE WHEN t.typtype = 'e' THEN 'enum ' || t.typname
            WHEN et.typtype = 'e' THEN 'enum ' || et.typname || '[]'
            ELSE format_type(a.atttypid, a.atttypmod) END AS "type"
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type et ON et.oid = t.typelem
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
ORDER BY c.relname, a.attnum`;

const INDEXES = `
SELECT c.relname AS "table", i.relname AS "name", x.indisunique AS "unique", x.indisprimary AS "primary",
       x.indpred IS NOT NULL AS "partial",
       array(SELECT coalesce(a.attname::text, '(expression)')
             FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= x.indnkeyatts
             ORDER BY k.ord) AS "columns"
FROM pg_index x
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1`;

const ENUMS = `
SELECT t.typname AS "name", array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS "values"
FROM pg_type t
JOIN pg_enum e ON e.enumtypid = t.oid
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = $1
GROUP BY t.typname`;

/** Reads tables, columns, indexes and enums of one schema from pg_catalog. */
export async function readDatabaseShape(databaseUrl: string, schema = "public"): Promise<DatabaseShape> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const columns = await client.query<{ table: string; column: string } & DatabaseColumn>(COLUMNS, [schema]);
    const indexes = await client.query<{ table: string } & DatabaseIndex>(INDEXES, [schema]);
    const enums = await client.query<{ name: string; values: string[] }>(ENUMS, [schema]);
    const shape: DatabaseShape = { tables: new Map(), enums: new Map(enums.rows.map((e) => [e.name, e.values])) };
    const tableOf = (name: string) => {
      const table: DatabaseTable = shape.tables.get(name) ?? { columns: new Map(), indexes: [] };
      shape.tables.set(name, table);
      return table;
    };
    for (const { table, column, type, notNull } of columns.rows) tableOf(table).columns.set(column, { type, notNull });
    for (const { table, ...index } of indexes.rows) tableOf(table).indexes.push(index);
    return shape;
  } finally {
    await client.end();
  }
}

/** How Prisma maps each scalar type, without and with a native type attribute, on PostgreSQL. */
const DEFAULT_TYPES: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  Float: "double precision",
  Decimal: "numeric(65,30)",
  Boolean: "boolean",
  DateTime: "timestamp(3) without time zone",
  Json: "jsonb",
  Bytes: "bytea",
};

const withArgs = (base: string, args: string[], suffix = "") =>
  `${base}${args.length > 0 ? `(${args.join(",")})` : ""}${suffix}`;

const NATIVE_TYPES: Record<string, (args: string[]) => string> = {
  Text: () => "text",
  Uuid: () => "uuid",
  VarChar: (args) => withArgs("character varying", args),
  Char: (args) => withArgs("character", args),
  Integer: () => "integer",
  SmallInt: () => "smallint",
  BigInt: () => "bigint",
  DoublePrecision: () => "double precision",
  Real: () => "real",
  Decimal: (args) => withArgs("numeric", args),
  Boolean: () => "boolean",
  Timestamp: (args) => withArgs("timestamp", args, " without time zone"),
  Timestamptz: (args) => withArgs("timestamp", args, " with time zone"),
  Date: () => "date",
  Time: (args) => withArgs("time", args, " without time zone"),
  Timetz: (args) => withArgs("time", args, " with time zone"),
  Json: () => "json",
  JsonB: () => "jsonb",
  ByteA: () => "bytea",
};

function expectedType(field: Field, datamodel: Datamodel): string | undefined {
  const list = field.isList ? "[]" : "";
  if (field.kind === "enum") {
    const declared = datamodel.enums.find((e) => e.name === field.type);
    return `enum ${declared?.dbName ?? field.type}${list}`;
  }
  const [native, args = []] = field.nativeType ?? [];
  const base = native ? NATIVE_TYPES[native]?.([...args]) : DEFAULT_TYPES[field.type];
  return base && `${base}${list}`;
}

const columnOf = (field: Field) => field.dbName ?? field.name;
const tableOf = (model: Model) => model.dbName ?? model.name;
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const list = (items: readonly string[]) => `(${items.join(", ")})`;

/**
 * Compares a Prisma schema with a migrated database and returns every difference, one readable line each:
 * tables, columns (both ways), types, nullability, primary keys, unique and plain indexes, enums and their values.
 */
export async function findSchemaDrift(schema: string, database: DatabaseShape): Promise<string[]> {
  const { datamodel } = await internals.getDMMF({ datamodel: schema });
  const drift: string[] = [];

  for (const model of datamodel.models) {
    const tableName = tableOf(model);
    const table = database.tables.get(tableName);
    if (!table) {
      drift.push(`model ${model.name}: table ${tableName} does not exist`);
      continue;
    }
    const scalars = model.fields.filter((field) => field.kind === "scalar" || field.kind === "enum");
    for (const field of scalars) {
      const where = `${model.name}.${field.name}: column ${tableName}.${columnOf(field)}`;
      const column = table.columns.get(columnOf(field));
      if (!column) {
        drift.push(`${where} does not exist`);
        continue;
      }
      const type = expectedType(field, datamodel);
      if (!type) drift.push(`${where}: no known PostgreSQL type for ${field.type} ${JSON.stringify(field.nativeType)}`);
      else if (column.type !== type) drift.push(`${where} is ${column.type}, the schema says ${type}`);
      const notNull = field.isRequired && !field.isList;
      if (column.notNull !== notNull) {
        drift.push(
          `${where} is ${column.notNull ? "NOT NULL" : "nullable"}, the schema says ${notNull ? "NOT NULL" : "nullable"}`,
        );
      }
    }
    const modelled = new Set(scalars.map(columnOf));
    for (const column of table.columns.keys()) {
      if (!modelled.has(column)) drift.push(`table ${tableName}: column ${column} is not in model ${model.name}`);
    }

    const columnsOf = (fields: readonly { name: string }[]) =>
      fields.map(({ name }) => {
        const field = model.fields.find((f) => f.name === name);
        return field ? columnOf(field) : name;
      });
    const whole = table.indexes.filter((index) => !index.partial);
    for (const declared of datamodel.indexes.filter((index) => index.model === model.name)) {
      const columns = columnsOf(declared.fields);
      const named = (index: DatabaseIndex) => !declared.dbName || index.name === declared.dbName;
      const found = (accept: (index: DatabaseIndex) => boolean) =>
        whole.some((index) => accept(index) && named(index) && sameList(index.columns, columns));
      if (declared.type === "id") {
        if (!found((index) => index.primary)) {
          const actual = whole.find((index) => index.primary);
          drift.push(
            `model ${model.name}: primary key of ${tableName} is ${actual ? list(actual.columns) : "missing"}, the schema says ${list(columns)}`,
          );
        }
      } else if (declared.type === "unique") {
        if (!found((index) => index.unique && !index.primary)) {
          drift.push(`model ${model.name}: no unique index on ${tableName} ${list(columns)}`);
        }
      } else if (!found(() => true)) {
        drift.push(`model ${model.name}: no index on ${tableName} ${list(columns)}`);
      }
    }
  }

  const modelledTables = new Set(datamodel.models.map(tableOf));
  for (const table of database.tables.keys()) {
    if (table !== "_prisma_migrations" && !modelledTables.has(table)) drift.push(`table ${table} has no model`);
  }

  for (const declared of datamodel.enums) {
    const name = declared.dbName ?? declared.name;
    const expected = declared.values.map((value) => value.dbName ?? value.name);
    const actual = database.enums.get(name);
    if (!actual) drift.push(`enum ${declared.name}: type ${name} does not exist`);
    else if (!sameList(actual, expected)) {
      drift.push(`enum ${declared.name}: values are ${list(actual)}, the schema says ${list(expected)}`);
    }
  }
  const modelledEnums = new Set(datamodel.enums.map((e) => e.dbName ?? e.name));
  for (const name of database.enums.keys()) {
    if (!modelledEnums.has(name)) drift.push(`enum type ${name} has no enum in the schema`);
  }

  return drift;
}
