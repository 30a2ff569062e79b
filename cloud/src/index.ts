/**
 * The functions entry point (`--source=cloud/src/index.ts`): importing it registers every
 * function with functions-framework by name (`--target=ingest|notify|triage`). Each module
 * builds its adapters lazily from the environment on its first event, so loading all three
 * in every instance costs only module evaluation.
 */
import './functions/ingest/index.ts';
import './functions/notify/index.ts';
import './functions/triage/index.ts';
