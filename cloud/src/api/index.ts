/**
 * The api Cloud Function: registered with functions-framework at import as `api`, an HTTP
 * function (Cloud Functions 2nd gen, Cloud Run underneath: SSE streams last up to the
 * request timeout). It serves the /v1 API over Firestore and the built console at `/`.
 * Importing this module is cheap on purpose (as for the other functions): the runtime, with
 * the SDKs, is imported and built on the first request.
 */

import type { Request, Response } from '@google-cloud/functions-framework';
import * as functions from '@google-cloud/functions-framework';

export const API_FUNCTION = 'api';

let loading: Promise<(req: Request, res: Response) => Promise<void>> | undefined;

export async function handleApi(req: Request, res: Response): Promise<void> {
  loading ??= import('./runtime.ts').then((m) => m.handleApiRequest);
  let handle: (req: Request, res: Response) => Promise<void>;
  try {
    handle = await loading;
  } catch (err) {
    // Let the next request try again rather than caching the failure for the instance's life.
    loading = undefined;
    throw err;
  }
  await handle(req, res);
}

functions.http(API_FUNCTION, handleApi);
