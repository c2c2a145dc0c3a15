using System.Text.Json.Nodes;

namespace DraSdk.Testing;

/// <summary>
/// resource.k8s.io/v1 ResourceClaim status validation as kube-apiserver v1.36 does it on <c>/status</c> writes:
/// the allocation (immutable once set), reservedFor and the KEP-4817 device statuses.
/// </summary>
internal static partial class BuiltInValidation
{
    public const int MaxReservedFor = 256;
    public const int MaxAllocationResults = 32;
    public const int MaxAllocationConfigs = 2 * MaxConfigs;
    public const int MaxDeviceStatusConditions = 8;
    public const int MaxDeviceStatusDataBytes = 10 * 1024;
    public const int MaxInterfaceNameBytes = 256;
    public const int MaxHardwareAddressBytes = 128;
    public const int MaxNetworkIps = 16;

    private static readonly string[] ConfigSources = ["FromClaim", "FromClass"];

    /// <param name="claim">The whole proposed claim (its spec names the requests).</param>
    /// <param name="status">The proposed status.</param>
    /// <param name="oldStatus">The stored status, or null.</param>
    /// <param name="context">The store and gates.</param>
    private static IEnumerable<ApiFieldError> ClaimStatus(JsonObject claim, JsonObject status, JsonObject? oldStatus, ValidationContext context)
    {
        var names = RequestNames(claim["spec"]?["devices"] as JsonObject);
        var allocation = status["allocation"] as JsonObject;
        var oldAllocation = oldStatus?["allocation"] as JsonObject;

        var reservedFor = status["reservedFor"] as JsonArray ?? [];
        if (reservedFor.Count > MaxReservedFor)
        {
            yield return ApiFieldError.TooMany("status.reservedFor", reservedFor.Count, MaxReservedFor);
        }
        else
        {
            for (var i = 0; i < reservedFor.Count; i++)
            {
                var path = Index("status.reservedFor", i);
                foreach (var f in (string[])["resource", "name", "uid"])
                {
                    if (Str(reservedFor[i]?[f]) is not { Length: > 0 })
                    {
                        yield return ApiFieldError.Required(path + "." + f);
                    }
                }
            }

            var uids = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < reservedFor.Count; i++)
            {
                var uid = Str(reservedFor[i]?["uid"]) ?? "";
                if (!uids.Add(uid))
                {
                    yield return ApiFieldError.Duplicate(Index("status.reservedFor", i), uid);
                }
            }
        }

        // status.devices: allocated devices only, each once.
        var allocated = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in allocation?["devices"]?["results"] as JsonArray ?? [])
        {
            allocated.Add(DeviceKey(r, "shareID"));
        }

        var devices = status["devices"] as JsonArray ?? [];
        for (var i = 0; i < devices.Count; i++)
        {
            foreach (var e in DeviceStatus(Index("status.devices", i), devices[i] as JsonObject ?? [], allocated))
            {
                yield return e;
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < devices.Count; i++)
        {
            var key = DeviceKey(devices[i], "shareID");
            if (!seen.Add(key))
            {
                yield return ApiFieldError.Duplicate(Index("status.devices", i), new DeviceId(key));
            }
        }

        if (reservedFor.Count > 0)
        {
            if (allocation is null)
            {
                yield return ApiFieldError.Forbidden("status.reservedFor", "may not be specified when `allocated` is not set");
            }
            else if (claim["metadata"]?["deletionTimestamp"] is not null)
            {
                var before = (oldStatus?["reservedFor"] as JsonArray ?? []).ToList();
                if (reservedFor.Any(r => !before.Any(b => Same(b, r))))
                {
                    yield return ApiFieldError.Forbidden("status.reservedFor", "new entries may not be added while `deallocationRequested` or `deletionTimestamp` are set");
                }
            }
        }

        if (oldAllocation is not null && allocation is not null)
        {
            // An allocation cannot change once made (only removed, to deallocate).
            if (!Same(allocation, oldAllocation))
            {
                yield return new ApiFieldError("FieldValueInvalid", "status.allocation", Immutable);
            }
        }
        else if (allocation is not null)
        {
            foreach (var e in AllocationResult("status.allocation", allocation, names))
            {
                yield return e;
            }

            // Admin access granted by an allocation needs the namespace label too.
            var results = allocation["devices"]?["results"] as JsonArray ?? [];
            for (var i = 0; i < results.Count; i++)
            {
                if (Bool(results[i]?["adminAccess"]))
                {
                    if (!NamespaceAllowsAdminAccess(claim, context))
                    {
                        yield return AdminAccessForbidden(Index("status.allocation.devices.results", i) + ".adminAccess");
                    }

                    break;
                }
            }
        }
    }

    /// <summary>A device as the server names it in messages: <c>driver/pool/device</c>, then <c>/shareID</c> when shared.</summary>
    private sealed record DeviceId(string Key)
    {
        public override string ToString() => Key;
    }

    private static string DeviceKey(JsonNode? device, string shareField)
    {
        var key = $"{Str(device?["driver"])}/{Str(device?["pool"])}/{Str(device?["device"])}";
        return Str(device?[shareField]) is { } share ? key + "/" + share : key;
    }

    private static IEnumerable<ApiFieldError> AllocationResult(string path, JsonObject allocation, Dictionary<string, HashSet<string>?> names)
    {
        var devicesPath = path + ".devices";
        var results = allocation["devices"]?["results"] as JsonArray ?? [];
        if (results.Count > MaxAllocationResults)
        {
            yield return ApiFieldError.TooMany(devicesPath + ".results", results.Count, MaxAllocationResults);
        }
        else
        {
            for (var i = 0; i < results.Count; i++)
            {
                var item = Index(devicesPath + ".results", i);
                var r = results[i] as JsonObject ?? [];
                foreach (var e in RequestReference(item + ".request", Str(r["request"]) ?? "", names))
                {
                    yield return e;
                }

                foreach (var e in DriverName(item + ".driver", Str(r["driver"])))
                {
                    yield return e;
                }

                foreach (var e in PoolName(item + ".pool", Str(r["pool"])))
                {
                    yield return e;
                }

                foreach (var e in DnsLabel(item + ".device", Str(r["device"]) ?? ""))
                {
                    yield return e;
                }

                foreach (var e in BindingParameters(item, r))
                {
                    yield return e;
                }

                if (Str(r["shareID"]) is { } share)
                {
                    foreach (var e in Uuid(item + ".shareID", share))
                    {
                        yield return e;
                    }
                }
            }
        }

        var configs = allocation["devices"]?["config"] as JsonArray ?? [];
        if (configs.Count > MaxAllocationConfigs)
        {
            yield return ApiFieldError.TooMany(devicesPath + ".config", configs.Count, MaxAllocationConfigs);
        }
        else
        {
            for (var i = 0; i < configs.Count; i++)
            {
                var item = Index(devicesPath + ".config", i);
                var source = Str(configs[i]?["source"]) ?? "";
                if (source.Length == 0)
                {
                    yield return ApiFieldError.Required(item + ".source");
                }
                else if (!ConfigSources.Contains(source))
                {
                    yield return ApiFieldError.NotSupported(item + ".source", source, ConfigSources);
                }

                foreach (var e in RequestReferences(item + ".requests", configs[i]?["requests"], names))
                {
                    yield return e;
                }

                foreach (var e in DeviceConfiguration(item, configs[i] as JsonObject, stored: false))
                {
                    yield return e;
                }
            }
        }

        if (allocation["nodeSelector"] is JsonObject selector)
        {
            foreach (var e in NodeSelector(path + ".nodeSelector", selector))
            {
                yield return e;
            }
        }
    }

    /// <summary>One entry of <c>status.devices</c> (KEP-4817).</summary>
    private static IEnumerable<ApiFieldError> DeviceStatus(string path, JsonObject device, HashSet<string> allocated)
    {
        foreach (var e in DriverName(path + ".driver", Str(device["driver"])))
        {
            yield return e;
        }

        foreach (var e in PoolName(path + ".pool", Str(device["pool"])))
        {
            yield return e;
        }

        foreach (var e in DnsLabel(path + ".device", Str(device["device"]) ?? ""))
        {
            yield return e;
        }

        if (Str(device["shareID"]) is { } share)
        {
            foreach (var e in Uuid(path + ".shareID", share))
            {
                yield return e;
            }
        }

        var key = DeviceKey(device, "shareID");
        if (!allocated.Contains(key))
        {
            yield return ApiFieldError.Invalid(path, new DeviceId(key), "must be an allocated device in the claim");
        }

        if (device["conditions"] is JsonArray conditions)
        {
            if (conditions.Count > MaxDeviceStatusConditions)
            {
                yield return ApiFieldError.TooMany(path + ".conditions", conditions.Count, MaxDeviceStatusConditions);
            }

            foreach (var e in Conditions(path + ".conditions", conditions))
            {
                yield return e;
            }
        }

        if (device["data"] is { } data)
        {
            foreach (var e in RawObject(path + ".data", data, present: true, stored: false, MaxDeviceStatusDataBytes))
            {
                yield return e;
            }
        }

        if (device["networkData"] is JsonObject network)
        {
            var networkPath = path + ".networkData";
            if (Bytes(Str(network["interfaceName"]) ?? "") > MaxInterfaceNameBytes)
            {
                yield return ApiFieldError.TooLong(networkPath + ".interfaceName", MaxInterfaceNameBytes);
            }

            if (Bytes(Str(network["hardwareAddress"]) ?? "") > MaxHardwareAddressBytes)
            {
                yield return ApiFieldError.TooLong(networkPath + ".hardwareAddress", MaxHardwareAddressBytes);
            }

            var ips = (network["ips"] as JsonArray ?? []).Select(n => Str(n) ?? "").ToList();
            if (ips.Count > MaxNetworkIps)
            {
                yield return ApiFieldError.TooMany(networkPath + ".ips", ips.Count, MaxNetworkIps);
            }
            else
            {
                for (var i = 0; i < ips.Count; i++)
                {
                    foreach (var e in InterfaceAddress(Index(networkPath + ".ips", i), ips[i]))
                    {
                        yield return e;
                    }
                }

                var seenIps = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < ips.Count; i++)
                {
                    if (!seenIps.Add(ips[i]))
                    {
                        yield return ApiFieldError.Duplicate(Index(networkPath + ".ips", i), ips[i]);
                    }
                }
            }
        }
    }
}
