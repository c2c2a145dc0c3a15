using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DraSdk.Testing;

/// <summary>
/// Enough of server-side apply for driver tests: each field manager's applied configuration is recorded in
/// <c>metadata.managedFields</c> (operation <c>Apply</c>, <c>FieldsV1</c>); lists that the real API declares as maps
/// (such as a ResourceClaim's <c>status.devices</c>) are merged entry by entry on their keys, and the entries a manager
/// applied before but no longer applies are removed unless another manager owns them too. Everything else is merged like
/// a JSON merge patch. An entry another manager applied with a different value is a conflict unless <c>force</c> is set.
/// </summary>
internal static class ServerSideApply
{
    /// <summary>The list-maps known here: resource plural, path, and the keys of an entry.</summary>
    private static readonly ListMap[] ListMaps =
    [
        new("resource.k8s.io", "resourceclaims", ["status", "devices"], ["driver", "device", "pool", "shareID"]),
    ];

    /// <summary>Applies <paramref name="applied"/> by <paramref name="manager"/> to <paramref name="current"/> (changed in place); returns the result.</summary>
    public static JsonObject Apply(ApiResourceType r, JsonObject current, JsonObject applied, string manager, bool force, WriteScope scope, string now)
    {
        if (applied["metadata"]?["managedFields"] is not null)
        {
            throw ApiError.BadRequest("metadata.managedFields must be nil");
        }

        var subresource = scope == WriteScope.Status ? "status" : null;
        var meta = current["metadata"] as JsonObject ?? [];
        var entries = meta["managedFields"] as JsonArray ?? [];
        var mine = entries.OfType<JsonObject>().FirstOrDefault(e => IsEntryOf(e, manager, subresource));
        var others = entries.OfType<JsonObject>().Where(e => !ReferenceEquals(e, mine)).ToList();

        var body = applied.DeepClone().AsObject();
        foreach (var map in ListMaps.Where(m => m.Applies(r, scope)))
        {
            MergeListMap(r, current, body, map, manager, mine, others, force);
        }

        // The rest: a merge of what was applied (the list-maps are already done and removed from body).
        var result = JsonPatching.MergePatch(current, body) as JsonObject ?? current;

        // Record what this manager now owns.
        var fields = FieldsOf(r, applied, scope);
        var keptEntries = new JsonArray();
        foreach (var e in others)
        {
            keptEntries.Add(e.DeepClone());
        }

        if (fields.Count > 0)
        {
            var time = mine is not null && JsonNode.DeepEquals(mine["fieldsV1"], fields) ? mine["time"]?.DeepClone() ?? now : now;
            var entry = new JsonObject
            {
                ["manager"] = manager,
                ["operation"] = "Apply",
                ["apiVersion"] = r.ApiVersion,
                ["time"] = time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = fields,
            };
            if (subresource is not null)
            {
                entry["subresource"] = subresource;
            }

            keptEntries.Add(entry);
        }

        var resultMeta = result["metadata"] as JsonObject ?? [];
        // Always present (empty when nobody owns anything) so the store tells "none left" from "left out"; it drops an empty list.
        resultMeta.Remove("managedFields");
        resultMeta["managedFields"] = keptEntries;

        return result;
    }

    private static bool IsEntryOf(JsonObject entry, string manager, string? subresource) =>
        Str(entry["manager"]) == manager && Str(entry["operation"]) == "Apply" && (Str(entry["subresource"]) ?? "") == (subresource ?? "");

    private static void MergeListMap(ApiResourceType r, JsonObject current, JsonObject body, ListMap map, string manager, JsonObject? mine, List<JsonObject> others, bool force)
    {
        var existing = map.Get(current) as JsonArray ?? [];
        var appliedList = map.Get(body) as JsonArray;
        map.Set(body, null);
        var appliedByKey = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var item in appliedList ?? [])
        {
            if (item is not JsonObject o)
            {
                throw ApiError.BadRequest($".{string.Join('.', map.Path)}: an entry of a list-map must be an object");
            }

            if (!appliedByKey.TryAdd(map.KeyOf(o), o))
            {
                throw ApiError.BadRequest($".{string.Join('.', map.Path)}: duplicate entries for key [{map.Describe(o)}]");
            }
        }

        var ownedBefore = mine is null ? [] : map.OwnedKeys(mine);
        var ownedByOthers = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        foreach (var e in others)
        {
            foreach (var key in map.OwnedKeys(e))
            {
                if (!ownedByOthers.TryGetValue(key, out var list))
                {
                    ownedByOthers[key] = list = [];
                }

                list.Add(e);
            }
        }

        var conflicts = new List<string>();
        var merged = new JsonArray();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in existing.OfType<JsonObject>())
        {
            var key = map.KeyOf(item);
            if (appliedByKey.TryGetValue(key, out var replacement))
            {
                if (ownedByOthers.TryGetValue(key, out var owners) && !JsonNode.DeepEquals(item, replacement))
                {
                    if (!force)
                    {
                        conflicts.AddRange(owners.Where(o => Str(o["operation"]) == "Apply").Select(o => $"conflict with \"{Str(o["manager"])}\": .{string.Join('.', map.Path)}[{map.Describe(item)}]"));
                    }
                    else
                    {
                        foreach (var owner in owners)
                        {
                            map.Disown(owner, key);
                        }
                    }
                }

                merged.Add(replacement.DeepClone());
                placed.Add(key);
            }
            else if (ownedBefore.Contains(key) && !ownedByOthers.ContainsKey(key))
            {
                // This manager applied it before and no longer does, and nobody else owns it: gone.
            }
            else
            {
                merged.Add(item.DeepClone());
            }
        }

        if (conflicts.Count > 0)
        {
            throw new ApiError(409, "Conflict", $"Apply failed with {conflicts.Count} conflict{(conflicts.Count == 1 ? "" : "s")}: {string.Join("; ", conflicts)}", Str(current["metadata"]?["name"]), r);
        }

        foreach (var (key, item) in appliedByKey)
        {
            if (!placed.Contains(key))
            {
                merged.Add(item.DeepClone());
            }
        }

        // Drop owners whose only fields were entries now disowned.
        others.RemoveAll(o => o["fieldsV1"] is JsonObject { Count: 0 });
        map.Set(current, merged.Count > 0 ? merged : null);
    }

    /// <summary>The fields an applied configuration sets, in FieldsV1 form; list-map entries by <c>k:</c> keys, other lists atomic.</summary>
    private static JsonObject FieldsOf(ApiResourceType r, JsonObject applied, WriteScope scope)
    {
        var fields = new JsonObject();
        foreach (var (name, value) in applied)
        {
            if (name is "apiVersion" or "kind" || value is null)
            {
                continue;
            }

            // The status subresource owns only status; the main endpoint everything else.
            if ((scope == WriteScope.Status) != (name == "status") && r.HasStatusSubresource)
            {
                continue;
            }

            if (name == "metadata" && value is JsonObject m)
            {
                var metaFields = new JsonObject();
                foreach (var (mn, mv) in m)
                {
                    if (mn is not ("name" or "namespace" or "uid" or "resourceVersion" or "generateName") && mv is not null)
                    {
                        metaFields["f:" + mn] = Fields(r, [name, mn], mv);
                    }
                }

                if (metaFields.Count > 0)
                {
                    fields["f:metadata"] = metaFields;
                }

                continue;
            }

            fields["f:" + name] = Fields(r, [name], value);
        }

        return fields;
    }

    private static JsonObject Fields(ApiResourceType r, string[] path, JsonNode value)
    {
        var result = new JsonObject();
        switch (value)
        {
            case JsonObject o:
                foreach (var (name, child) in o)
                {
                    if (child is not null)
                    {
                        result["f:" + name] = Fields(r, [.. path, name], child);
                    }
                }

                break;
            case JsonArray a when ListMaps.FirstOrDefault(m => m.Matches(r, path)) is { } map:
                foreach (var item in a.OfType<JsonObject>())
                {
                    var entry = new JsonObject { ["."] = new JsonObject() };
                    foreach (var (name, child) in item)
                    {
                        if (child is not null)
                        {
                            entry["f:" + name] = Fields(r, [.. path, "[]", name], child);
                        }
                    }

                    result[map.FieldKey(item)] = entry;
                }

                break;
        }

        return result;
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private sealed record ListMap(string Group, string Plural, string[] Path, string[] Keys)
    {
        public bool Applies(ApiResourceType r, WriteScope scope) =>
            r.Group == Group && r.Plural == Plural && (!r.HasStatusSubresource || (scope == WriteScope.Status) == (Path[0] == "status"));

        public bool Matches(ApiResourceType r, string[] path) => r.Group == Group && r.Plural == Plural && path.SequenceEqual(Path);

        public JsonNode? Get(JsonObject obj)
        {
            JsonNode? node = obj;
            foreach (var p in Path)
            {
                node = (node as JsonObject)?[p];
            }

            return node;
        }

        public void Set(JsonObject obj, JsonNode? value)
        {
            var parent = obj;
            for (var i = 0; i < Path.Length - 1; i++)
            {
                if (parent[Path[i]] is not JsonObject next)
                {
                    if (value is null)
                    {
                        return;
                    }

                    parent[Path[i]] = next = [];
                }

                parent = next;
            }

            parent.Remove(Path[^1]);
            if (value is not null)
            {
                parent[Path[^1]] = value.Parent is null ? value : value.DeepClone();
            }
        }

        /// <summary>The key of an entry, comparable: the key fields in order, a missing one as empty.</summary>
        public string KeyOf(JsonObject item) => string.Join('\u0000', Keys.Select(k => Str(item[k]) ?? ""));

        public string Describe(JsonObject item) =>
            string.Join(",", Keys.Where(k => item[k] is not null).Select(k => $"{k}=\"{Str(item[k])}\""));

        /// <summary>The FieldsV1 name of an entry: <c>k:</c> and its key fields as JSON, sorted by name.</summary>
        public string FieldKey(JsonObject item)
        {
            var keys = new JsonObject();
            foreach (var k in Keys.Where(k => item[k] is not null).Order(StringComparer.Ordinal))
            {
                keys[k] = item[k]!.DeepClone();
            }

            return "k:" + keys.ToJsonString();
        }

        /// <summary>The keys of the entries a managedFields entry owns in this list.</summary>
        public HashSet<string> OwnedKeys(JsonObject managedEntry)
        {
            var owned = new HashSet<string>(StringComparer.Ordinal);
            if (ListNode(managedEntry) is not { } list)
            {
                return owned;
            }

            foreach (var (name, _) in list)
            {
                if (ParseFieldKey(name) is { } item)
                {
                    owned.Add(KeyOf(item));
                }
            }

            return owned;
        }

        /// <summary>Takes an entry away from a manager (after a forced apply by another).</summary>
        public void Disown(JsonObject managedEntry, string key)
        {
            if (ListNode(managedEntry) is not { } list)
            {
                return;
            }

            foreach (var name in list.Select(p => p.Key).ToList())
            {
                if (ParseFieldKey(name) is { } item && KeyOf(item) == key)
                {
                    list.Remove(name);
                }
            }

            // A manager left owning nothing under the path loses the path too.
            JsonObject? node = list;
            while (node is { Count: 0 } && node.Parent is JsonObject parent && !ReferenceEquals(node, managedEntry["fieldsV1"]))
            {
                parent.Remove(parent.First(p => ReferenceEquals(p.Value, node)).Key);
                node = parent;
            }
        }

        private JsonObject? ListNode(JsonObject managedEntry)
        {
            JsonNode? node = managedEntry["fieldsV1"];
            foreach (var p in Path)
            {
                node = (node as JsonObject)?["f:" + p];
            }

            return node as JsonObject;
        }

        private static JsonObject? ParseFieldKey(string name)
        {
            if (!name.StartsWith("k:", StringComparison.Ordinal))
            {
                return null;
            }

            try
            {
                return JsonNode.Parse(Encoding.UTF8.GetBytes(name[2..])) as JsonObject;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
