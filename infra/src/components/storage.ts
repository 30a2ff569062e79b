/**
 * Where data and artifacts live: the Firestore database in native mode with the composite
 * indexes the functions' and CLIs' queries need and the TTL policy that enforces retention,
 * and the private bucket holding the functions' source archives.
 */
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { COLLECTIONS, EXPIRY_FIELD, sourceBucketName } from '../names.ts';
import { childOptions } from './options.ts';

/** The functions use the default database, so clients need no database id. */
export const FIRESTORE_DATABASE = '(default)';

/**
 * Composite indexes (single-field indexes are automatic) for the operator CLIs' "filter by
 * state, newest first" listings: `alerts list --state` and `dlq list --state`.
 */
export const COMPOSITE_INDEXES: readonly {
  readonly collection: string;
  readonly fields: readonly { readonly fieldPath: string; readonly order: 'ASCENDING' | 'DESCENDING' }[];
}[] = [
  {
    collection: COLLECTIONS.alerts,
    fields: [
      { fieldPath: 'state', order: 'ASCENDING' },
      { fieldPath: 'raisedAt', order: 'DESCENDING' },
    ],
  },
  {
    collection: COLLECTIONS.deadLetters,
    fields: [
      { fieldPath: 'state', order: 'ASCENDING' },
      { fieldPath: 'recordedAt', order: 'DESCENDING' },
    ],
  },
];

/**
 * Fields no query filters on but Firestore would index automatically, every subfield and
 * array element of them. A bucket document's `cols` holds thousands of numbers: indexed, it
 * would cost write latency and index storage and run into the 40 000 index entries per
 * document limit. Exempting a map exempts its subfields.
 */
export const INDEX_EXEMPTIONS: readonly { readonly collection: string; readonly field: string }[] = [
  { collection: COLLECTIONS.readings, field: 'cols' },
  { collection: COLLECTIONS.latest, field: 'series' },
  { collection: COLLECTIONS.latest, field: 'recent' },
  { collection: COLLECTIONS.deadLetters, field: 'data' },
];

export interface StorageArgs {
  readonly project: string;
  readonly region: string;
  readonly firestoreLocation: string;
  readonly deleteProtection: boolean;
}

export class Storage extends pulumi.ComponentResource {
  readonly database: gcp.firestore.Database;
  readonly indexes: readonly gcp.firestore.Index[];
  readonly readingsTtl: gcp.firestore.Field;
  readonly exemptions: readonly gcp.firestore.Field[];
  readonly sourceBucket: gcp.storage.Bucket;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('edgeflow:infra:Storage', name, {}, opts);
    const child = childOptions(this, opts);
    this.database = new gcp.firestore.Database(
      `${name}-firestore`,
      {
        project: args.project,
        name: FIRESTORE_DATABASE,
        locationId: args.firestoreLocation,
        type: 'FIRESTORE_NATIVE',
        deleteProtectionState: args.deleteProtection
          ? 'DELETE_PROTECTION_ENABLED'
          : 'DELETE_PROTECTION_DISABLED',
        // Keep the data when the stack goes away unless the operator turned protection off.
        deletionPolicy: args.deleteProtection ? 'ABANDON' : 'DELETE',
      },
      child,
    );
    const inDb = childOptions(this, opts, this.database);
    this.indexes = COMPOSITE_INDEXES.map(
      (index) =>
        new gcp.firestore.Index(
          `${name}-index-${index.collection}-${index.fields.map((f) => f.fieldPath).join('-')}`,
          {
            project: args.project,
            database: this.database.name,
            collection: index.collection,
            queryScope: 'COLLECTION',
            fields: index.fields.map((f) => ({ ...f })),
          },
          inDb,
        ),
    );
    // Applies to every `readings` collection, nested or not (a collection group). The field's
    // own single-field index is turned off: TTL timestamps grow monotonically and would
    // hotspot the index while no query filters on them.
    this.readingsTtl = new gcp.firestore.Field(
      `${name}-readings-ttl`,
      {
        project: args.project,
        database: this.database.name,
        collection: COLLECTIONS.readings,
        field: EXPIRY_FIELD,
        ttlConfig: {},
        indexConfig: {},
      },
      inDb,
    );
    this.exemptions = INDEX_EXEMPTIONS.map(
      (e) =>
        new gcp.firestore.Field(
          `${name}-no-index-${e.collection}-${e.field}`,
          {
            project: args.project,
            database: this.database.name,
            collection: e.collection,
            field: e.field,
            indexConfig: {},
          },
          inDb,
        ),
    );
    this.sourceBucket = new gcp.storage.Bucket(
      `${name}-function-source`,
      {
        project: args.project,
        name: sourceBucketName(args.project),
        location: args.region,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: 'enforced',
        // Only build inputs live here; they are regenerated on every `pulumi up`.
        forceDestroy: true,
      },
      child,
    );
    this.registerOutputs({});
  }
}
