/**
 * Standard Schema v1 (https://standardschema.dev): the interface zod 4, valibot, arktype and
 * others implement, so `defineTask` takes a schema of any of them without depending on one. The
 * type is copied from `@standard-schema/spec`, as that spec invites, so that users type-check
 * against redrive without installing it; it is a type-only contract with nothing to load.
 */
import { ValidationError } from './errors.js';

/** A schema of any library that implements Standard Schema v1. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

/** The types of the Standard Schema v1 interface. */
export declare namespace StandardSchemaV1 {
  /** The Standard Schema properties. */
  export interface Props<Input = unknown, Output = Input> {
    /** The version number of the standard. */
    readonly version: 1;
    /** The vendor name of the schema library. */
    readonly vendor: string;
    /** Validates an unknown value, synchronously or not. */
    readonly validate: (
      value: unknown,
      options?: Options | undefined,
    ) => Result<Output> | Promise<Result<Output>>;
    /** Inferred types of the schema. */
    readonly types?: Types<Input, Output> | undefined;
  }
  /** Options of `validate`. */
  export interface Options {
    /** Vendor-specific parameters. */
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }
  /** What `validate` returns. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** A successful validation. */
  export interface SuccessResult<Output> {
    /** The typed output value. */
    readonly value: Output;
    /** Absent on success. */
    readonly issues?: undefined;
  }
  /** A failed validation. */
  export interface FailureResult {
    /** Why the value is invalid. */
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One reason a value is invalid. */
  export interface Issue {
    /** The message of the issue. */
    readonly message: string;
    /** Where in the value, if anywhere in particular. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** A path segment given as an object. */
  export interface PathSegment {
    /** The key of the segment. */
    readonly key: PropertyKey;
  }
  /** The input and output types of a schema. */
  export interface Types<Input = unknown, Output = Input> {
    /** The input type. */
    readonly input: Input;
    /** The output type. */
    readonly output: Output;
  }
  /** The input type of a schema. */
  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<
    Schema['~standard']['types']
  >['input'];
  /** The output type of a schema. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<
    Schema['~standard']['types']
  >['output'];
}

/** One failed check of a schema, with its path under the validated field (`payload.user.email`). */
export interface SchemaIssue {
  path: string;
  message: string;
}

function pathOf(field: string, issue: StandardSchemaV1.Issue): string {
  let path = field;
  for (const segment of issue.path ?? []) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    path += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  }
  return path;
}

/**
 * The {@link ValidationError} for a failed validation of `field`: its `field` is the path of the
 * first issue, its message names every issue, and `details.issues` lists them as
 * {@link SchemaIssue}s.
 */
export function schemaValidationError(
  field: string,
  issues: ReadonlyArray<StandardSchemaV1.Issue>,
): ValidationError {
  const listed: SchemaIssue[] = issues.map((issue) => ({
    path: pathOf(field, issue),
    message: issue.message,
  }));
  const first = listed[0] ?? { path: field, message: 'invalid' };
  const rest = listed.slice(1).map((issue) => `; ${issue.path}: ${issue.message}`);
  return new ValidationError(first.path, `${first.message}${rest.join('')}`, { issues: listed });
}

/**
 * Validates `value` with `schema` (whether its `validate` is synchronous or returns a promise)
 * and resolves to the schema's output; rejects with a {@link ValidationError} naming the path(s).
 */
export async function validateWithSchema<Output>(
  schema: StandardSchemaV1<unknown, Output>,
  value: unknown,
  field: string,
): Promise<Output> {
  const result = await schema['~standard'].validate(value);
  if (result.issues) throw schemaValidationError(field, result.issues);
  return result.value;
}
