// User profiles from KV: a missing or corrupt profile means a cold user, said in `degraded`, never an error.

import { type UserProfile, UserProfileSchema } from "../../../core/features.js";
import { keys } from "../../../core/keys.js";

export async function readProfile(kv: KVNamespace, userId: string, degraded: string[]): Promise<UserProfile | null> {
  let raw: string | null;
  try {
    raw = await kv.get(keys.profile(userId), { type: "text", cacheTtl: 60 });
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
  return parsed.data;
}
