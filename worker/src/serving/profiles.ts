// User profiles from KV, held in isolate memory for the policy's KV cacheTtl: a missing or corrupt one means a cold user, said.
import { type UserProfile, UserProfileSchema } from "../../../core/features.js";
import { keys } from "../../../core/keys.js";

/** A parsed profile with its watched set built once, not per request. */
export interface LoadedProfile {
  profile: UserProfile;
  watched: ReadonlySet<number>;
}

/**
 * Parsed profiles per isolate, each held for the reading policy's KV `cacheTtl`, as the list tier holds lists:
 * KV's own edge cache may already serve a profile that old, so holding it here is no staler, and a home screen's
 * rows and a user's next visits share one KV read and one parse. A republished profile (say, a title just
 * watched) is therefore seen within `cacheTtlSeconds`, as through KV alone.
 */
export class ProfileCache {
  private readonly entries = new Map<string, { at: number; value: LoadedProfile | null }>();

  constructor(
    private readonly maxEntries = 5_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The user's profile (null for a cold user); problems reading it are appended to `degraded`. */
  async get(
    kv: KVNamespace,
    userId: string,
    degraded: string[],
    cacheTtlSeconds: number,
  ): Promise<LoadedProfile | null> {
    const now = this.clock();
    const hit = this.entries.get(userId);
    if (hit && now - hit.at <= cacheTtlSeconds * 1000) return hit.value;
    const problems: string[] = [];
    const value = await readProfile(kv, userId, problems, cacheTtlSeconds);
    degraded.push(...problems);
    // Problems are not cached: a corrupt or unreadable profile is retried on the next request.
    if (problems.length === 0) {
      this.entries.delete(userId);
      this.entries.set(userId, { at: now, value });
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    return value;
  }
}

/** Reads and checks one profile from KV; problems are appended to `degraded` and yield null. */
async function readProfile(
  kv: KVNamespace,
  userId: string,
  degraded: string[],
  cacheTtlSeconds: number,
): Promise<LoadedProfile | null> {
  let raw: string | null;
  try {
    raw = await kv.get(keys.profile(userId), { type: "text", cacheTtl: Math.max(30, cacheTtlSeconds) });
  } catch (e) {
    degraded.push(`profile unreadable (${(e as Error).message})`);
    return null;
  }
  if (raw === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    degraded.push("profile corrupt (not JSON)");
    return null;
  }
  const parsed = UserProfileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    degraded.push(`profile corrupt (${issue?.path.join(".") || "(root)"}: ${issue?.message})`);
    return null;
  }
  return { profile: parsed.data, watched: new Set(parsed.data.watched) };
}
