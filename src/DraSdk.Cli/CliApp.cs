using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DraSdk.Allocation;
using DraSdk.Cel;
using k8s;
using k8s.Models;

namespace DraSdk.Cli;

/// <summary>The dra commands. Exit codes: 0 success, 1 does not fit, 2 invalid input or usage.</summary>
internal static class CliApp
{
    public const int Ok = 0;
    public const int Unsatisfiable = 1;
    public const int Invalid = 2;

    private const string MainUsage = """
        dra: Kubernetes DRA allocation and CEL tools, offline.

        Usage:
          dra allocate -f <file>... --node <name> [--node-label key=value]... [--features <list>|none] [--claim <namespace>/<name>]... [-o json|yaml]
          dra explain  -f <file>... --node <name> [--node-label key=value]... [--features <list>|none] [--claim <namespace>/<name>]... [-o text|json|yaml]
          dra cel -e <expression> -f <file>... [--features <list>|none] [-o text|json|yaml]

        Files are YAML (multi-document) or JSON (an object, a List, or an array) with DeviceClass,
        ResourceSlice, ResourceClaim and Node objects.
        Features: AdminAccess, PrioritizedList, PartitionableDevices, DeviceTaints,
        DeviceBindingAndStatus, ConsumableCapacity, ListTypeAttributes (default: all).

        Exit codes: 0 allocated / ok, 1 unsatisfiable, 2 invalid input.
        Run 'dra <command> --help' for details.
        """;

    private const string AllocateUsage = """
        Usage: dra allocate -f <file>... --node <name> [options]

        Allocates the claims of one pod on the node, as the scheduler would. Claims with
        status.allocation are already allocated: their devices, share IDs and consumed capacity
        are in use. The claims to allocate are those named by --claim, in that order, or else every
        unallocated claim in document order; they are allocated together.

        Options:
          -f, --file <file>            input file; repeatable
          --node <name>                the node to allocate on (labels come from a Node object of that name, if given)
          --node-label <key=value>     a node label; repeatable
          --features <list>|none       comma-separated allocator features (default: all)
          --claim <namespace>/<name>   a claim to allocate; repeatable
          -o, --output json|yaml       output format (default: json)

        Output: {"node", "outcome": "allocated", "claims": [{"namespace", "name", "allocation"}]} with exit code 0,
        {"node", "outcome": "unsatisfiable", "explanation"} with exit code 1; invalid input exits 2.
        """;

    private const string ExplainUsage = """
        Usage: dra explain -f <file>... --node <name> [options]

        Explains, per request, how many devices were in scope and how many each cause removed
        (class selector, request selector, node, pool, in use, taint, counters, capacity, constraint).
        Takes the same options as 'dra allocate'; -o text (default), json or yaml.
        Exit code 0 when the claims fit, 1 when they do not, 2 for invalid input.
        """;

    private const string CelUsage = """
        Usage: dra cel -e <expression> -f <file>... [--features <list>|none] [-o text|json|yaml]

        Evaluates a CEL device selector against every device of the given ResourceSlices.
        Text output: one line per device with true, false or the error. JSON output: an array of
        {"driver", "pool", "device", "result": true|false|null, "error": string|null}.
        A compile error exits 2 with its position on stderr.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool colors = false)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(MainUsage);
            return args.Length == 0 ? Invalid : Ok;
        }
        var command = args[0];
        var usage = command switch
        {
            "allocate" => AllocateUsage,
            "explain" => ExplainUsage,
            "cel" => CelUsage,
            _ => null,
        };
        if (usage is null)
        {
            stderr.WriteLine($"error: unknown command '{command}'");
            stderr.WriteLine(MainUsage);
            return Invalid;
        }
        Options options;
        try
        {
            options = Options.Parse(args[1..], command);
            if (!options.Help && command is ("allocate" or "explain") && options.Node is null)
            {
                throw new InputException("--node is required");
            }
        }
        catch (InputException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            stderr.WriteLine($"Run 'dra {command} --help' for usage.");
            return Invalid;
        }
        if (options.Help)
        {
            stdout.WriteLine(usage);
            return Ok;
        }
        try
        {
            return command switch
            {
                "allocate" => Allocate(options, stdout, stderr, explainOnly: false, colors),
                "explain" => Allocate(options, stdout, stderr, explainOnly: true, colors),
                _ => Cel(options, stdout, stderr, colors),
            };
        }
        catch (InputException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return Invalid;
        }
    }

    private static int Allocate(Options options, TextWriter stdout, TextWriter stderr, bool explainOnly, bool colors)
    {
        if (options.Node is null)
        {
            throw new InputException("--node is required");
        }

        var input = InputSet.Load(options.Files);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in input.Nodes.Where(n => n.Object.Metadata.Name == options.Node))
        {
            foreach (var (key, value) in node.Object.Metadata.Labels ?? new Dictionary<string, string>())
            {
                labels[key] = value;
            }
        }
        foreach (var (key, value) in options.NodeLabels)
        {
            labels[key] = value;
        }
        var allocationNode = new AllocationNode(options.Node, labels);

        List<Sourced<Resourcev1ResourceClaim>> toAllocate;
        if (options.Claims.Count > 0)
        {
            toAllocate = [];
            foreach (var wanted in options.Claims)
            {
                var found = input.Claims.FirstOrDefault(c => $"{c.Object.Metadata.NamespaceProperty}/{c.Object.Metadata.Name}" == wanted)
                    ?? throw new InputException($"--claim {wanted}: no such ResourceClaim in the input");
                toAllocate.Add(found);
            }
        }
        else
        {
            toAllocate = input.Claims.Where(c => c.Object.Status?.Allocation is null).ToList();
        }
        var selected = toAllocate.Select(c => c.Object).ToHashSet(ReferenceEqualityComparer.Instance);
        var allocated = AllocatedState.FromClaims(input.Claims.Select(c => c.Object).Where(c => !selected.Contains(c)));
        var allocator = new Allocator(input.Classes.Select(c => c.Object), input.Slices.Select(s => s.Object), options.Features);
        var claims = toAllocate.Select(c => c.Object).ToList();

        if (explainOnly)
        {
            var explanation = allocator.Explain(allocationNode, claims, allocated);
            if (explanation.Error is not null && !explanation.Fits)
            {
                stderr.WriteLine($"error: {Locate(explanation.Error, toAllocate)}");
            }
            if (options.Output == "text")
            {
                ExplanationText.Write(explanation, stdout, colors);
            }
            else
            {
                Output.Write(ExplanationJson(explanation), options.Output, stdout);
            }
            return explanation.Fits ? Ok : explanation.Error is not null ? Invalid : Unsatisfiable;
        }

        IReadOnlyList<V1AllocationResult>? results;
        try
        {
            results = allocator.Allocate(allocationNode, claims, allocated);
        }
        catch (AllocationException e)
        {
            throw new InputException(Locate(e.Message, toAllocate, e.Claim));
        }
        var json = new JsonObject { ["node"] = options.Node };
        if (results is null)
        {
            json["outcome"] = "unsatisfiable";
            json["explanation"] = ExplanationJson(allocator.Explain(allocationNode, claims, allocated));
            Output.Write(json, options.Output, stdout);
            return Unsatisfiable;
        }
        json["outcome"] = "allocated";
        var array = new JsonArray();
        for (var i = 0; i < claims.Count; i++)
        {
            array.Add(new JsonObject
            {
                ["namespace"] = claims[i].Metadata.NamespaceProperty,
                ["name"] = claims[i].Metadata.Name,
                ["allocation"] = JsonNode.Parse(KubernetesJson.Serialize(results[i])),
            });
        }
        json["claims"] = array;
        Output.Write(json, options.Output, stdout);
        return Ok;
    }

    /// <summary>Prefixes an allocator error with the file of the claim it is about.</summary>
    private static string Locate(string message, List<Sourced<Resourcev1ResourceClaim>> claims, string? claim = null)
    {
        var source = claims.FirstOrDefault(c => claim is not null
            ? $"{c.Object.Metadata.NamespaceProperty}/{c.Object.Metadata.Name}" == claim
            : message.Contains($"claim {c.Object.Metadata.NamespaceProperty}/{c.Object.Metadata.Name}", StringComparison.Ordinal));
        return source is null ? message : $"{source.File}: {source.Describe}: {message}";
    }

    internal static JsonObject ExplanationJson(AllocationExplanation explanation)
    {
        var claims = new JsonArray();
        foreach (var claim in explanation.Claims)
        {
            var requests = new JsonArray();
            foreach (var request in claim.Requests)
            {
                var removed = new JsonObject();
                foreach (var (reason, count) in request.Removed)
                {
                    removed[JsonNamingPolicy.CamelCase.ConvertName(reason.ToString())] = count;
                }
                requests.Add(new JsonObject
                {
                    ["request"] = request.Request,
                    ["deviceClass"] = request.DeviceClass,
                    ["allocationMode"] = request.AllocationMode,
                    ["needed"] = request.Needed,
                    ["inScope"] = request.InScope,
                    ["removed"] = removed,
                    ["available"] = request.Available,
                    ["satisfiable"] = request.Satisfiable,
                    ["selectorError"] = request.SelectorError,
                });
            }
            claims.Add(new JsonObject { ["namespace"] = claim.Namespace, ["name"] = claim.Name, ["requests"] = requests });
        }
        return new JsonObject
        {
            ["fits"] = explanation.Fits,
            ["error"] = explanation.Error,
            ["claims"] = claims,
        };
    }

    private static int Cel(Options options, TextWriter stdout, TextWriter stderr, bool colors)
    {
        if (options.Expression is null)
        {
            throw new InputException("-e <expression> is required");
        }
        var celFeatures = CelFeatures.None;
        if (options.Features.HasFlag(AllocatorFeatures.ListTypeAttributes))
        {
            celFeatures |= CelFeatures.ListTypeAttributes;
        }
        if (options.Features.HasFlag(AllocatorFeatures.ConsumableCapacity))
        {
            celFeatures |= CelFeatures.ConsumableCapacity;
        }
        var environment = CelEnvironment.Create(celFeatures);
        if (!environment.TryCompile(options.Expression, out var program, out var error))
        {
            stderr.WriteLine($"error: CEL compile error at line {error!.Line}, column {error.Column} (position {error.Position}): {error.Message}");
            return Invalid;
        }
        var input = InputSet.Load(options.Files);
        var results = new JsonArray();
        foreach (var slice in input.Slices)
        {
            foreach (var device in slice.Object.Spec.Devices ?? [])
            {
                var result = program!.Evaluate(CelDevice.From(slice.Object.Spec.Driver, device));
                var id = $"{slice.Object.Spec.Driver}/{slice.Object.Spec.Pool.Name}/{device.Name}";
                if (options.Output == "text")
                {
                    var text = result.IsError
                        ? Paint($"error: {result.Error}", "31", colors)
                        : result.Value == true ? Paint("true", "32", colors) : Paint("false", "33", colors);
                    stdout.WriteLine($"{id}: {text}");
                }
                else
                {
                    results.Add(new JsonObject
                    {
                        ["driver"] = slice.Object.Spec.Driver,
                        ["pool"] = slice.Object.Spec.Pool.Name,
                        ["device"] = device.Name,
                        ["result"] = result.IsError ? null : result.Value,
                        ["error"] = result.Error,
                    });
                }
            }
        }
        if (options.Output != "text")
        {
            Output.Write(results, options.Output, stdout);
        }
        return Ok;
    }

    internal static string Paint(string text, string code, bool colors) => colors ? $"\u001b[{code}m{text}\u001b[0m" : text;

    /// <summary>Command-line options, parsed by hand.</summary>
    private sealed class Options
    {
        public List<string> Files { get; } = [];
        public string? Node { get; private set; }
        public List<(string Key, string Value)> NodeLabels { get; } = [];
        public AllocatorFeatures Features { get; private set; } = AllocatorFeatures.All;
        public List<string> Claims { get; } = [];
        public string Output { get; private set; } = "";
        public string? Expression { get; private set; }
        public bool Help { get; private set; }

        public static Options Parse(string[] args, string command)
        {
            var options = new Options();
            for (var i = 0; i < args.Length; i++)
            {
                var arg = args[i];
                string? inline = null;
                if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
                {
                    inline = arg[(eq + 1)..];
                    arg = arg[..eq];
                }
                switch (arg)
                {
                    case "-h" or "--help":
                        options.Help = true;
                        break;
                    case "-f" or "--file" or "--filename":
                        options.Files.Add(Value());
                        break;
                    case "--node" when command != "cel":
                        options.Node = Value();
                        break;
                    case "--node-label" when command != "cel":
                        var label = Value();
                        var split = label.IndexOf('=', StringComparison.Ordinal);
                        if (split <= 0)
                        {
                            throw new InputException($"--node-label {label}: expected key=value");
                        }
                        options.NodeLabels.Add((label[..split], label[(split + 1)..]));
                        break;
                    case "--claim" when command != "cel":
                        var claim = Value();
                        if (!claim.Contains('/', StringComparison.Ordinal))
                        {
                            throw new InputException($"--claim {claim}: expected <namespace>/<name>");
                        }
                        options.Claims.Add(claim);
                        break;
                    case "--features":
                        options.Features = ParseFeatures(Value());
                        break;
                    case "-e" or "--expression" when command == "cel":
                        options.Expression = Value();
                        break;
                    case "-o" or "--output":
                        options.Output = Value();
                        break;
                    default:
                        throw new InputException($"unknown option '{args[i]}'");
                }

                string Value()
                {
                    if (inline is not null)
                    {
                        return inline;
                    }
                    if (i + 1 >= args.Length)
                    {
                        throw new InputException($"{arg} needs a value");
                    }
                    return args[++i];
                }
            }
            var allowed = command == "allocate" ? new[] { "json", "yaml" } : ["text", "json", "yaml"];
            if (options.Output == "")
            {
                options.Output = allowed[0];
            }
            if (!allowed.Contains(options.Output))
            {
                throw new InputException($"-o {options.Output}: expected one of {string.Join(", ", allowed)}");
            }
            if (!options.Help && options.Files.Count == 0)
            {
                throw new InputException("at least one -f <file> is required");
            }
            return options;
        }

        private static AllocatorFeatures ParseFeatures(string list)
        {
            if (list.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                return AllocatorFeatures.None;
            }
            var features = AllocatorFeatures.None;
            foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<AllocatorFeatures>(name, ignoreCase: true, out var feature) || int.TryParse(name, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                {
                    throw new InputException($"--features: unknown feature '{name}' (known: {string.Join(", ", Enum.GetNames<AllocatorFeatures>().Where(n => n is not ("None" or "All")))}, or none)");
                }
                features |= feature;
            }
            return features;
        }
    }
}
