/**
 * A GET of the trail's API for the commands that read through it (report, prove, status), with the bearer token.
 * A URL nothing answers on is named in the error, with where the URL came from and how to give another.
 */
export async function getFromApi(base: string, path: string, token: string): Promise<Response> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  try {
    return await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new Error(
      `no API answers at ${base} (${why}): start the local stack (npm start), or give the API with --url or TRAIL_URL`,
    );
  }
}
