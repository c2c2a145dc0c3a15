using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace DraSdk.Packaging.Tests.Infrastructure;

/// <summary>
/// Renders a package's public API as markdown from the assembly (what is public) and its XML documentation file (what it
/// is for): namespaces, types with their summaries, and each type's public and protected members with signatures.
/// </summary>
internal static partial class ApiReference
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static string Render(Assembly assembly, bool typesOnly)
    {
        string name = assembly.GetName().Name!;
        Dictionary<string, XElement> docs = XDocument.Load(Path.ChangeExtension(assembly.Location, ".xml"))
            .Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, StringComparer.Ordinal);
        string? description = assembly.GetCustomAttribute<AssemblyDescriptionAttribute>()?.Description;

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# {name}\n\n");
        if (description is not null)
        {
            text.Append(description).Append("\n\n");
        }

        text.Append("Generated from the assembly and its XML documentation by `tests/DraSdk.Packaging.Tests` (`ApiReferenceTests`); ")
            .Append("do not edit. See the [API reference index](README.md).\n");

        foreach (IGrouping<string?, Type> ns in assembly.GetExportedTypes().OrderBy(t => t.Namespace, StringComparer.Ordinal).ThenBy(TypeName, StringComparer.Ordinal).GroupBy(t => t.Namespace))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n## Namespace `{ns.Key}`\n");
            if (typesOnly)
            {
                text.Append("\n| Type | Kind | Summary |\n| --- | --- | --- |\n");
                foreach (Type type in ns)
                {
                    string summary = Summary(docs, TypeId(type));
                    text.Append(CultureInfo.InvariantCulture, $"| `{TypeName(type)}` | {Kind(type)} | {(summary.Length == 0 ? "(generated)" : summary)} |\n");
                }

                continue;
            }

            foreach (Type type in ns)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n### `{TypeName(type)}` ({Kind(type)})\n\n{Summary(docs, TypeId(type))}\n");
                List<(string Signature, string Summary)> members = Members(type, docs);
                if (members.Count > 0)
                {
                    text.Append("\n| Member | Summary |\n| --- | --- |\n");
                    foreach ((string signature, string summary) in members)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"| `{signature.Replace("|", "\\|", StringComparison.Ordinal)}` | {summary} |\n");
                    }
                }
            }
        }

        return text.ToString();
    }

    private static List<(string, string)> Members(Type type, Dictionary<string, XElement> docs)
    {
        var members = new List<(string, string)>();
        if (type.IsEnum)
        {
            foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                members.Add((field.Name, Summary(docs, $"F:{TypeId(type)[2..]}.{field.Name}")));
            }

            return members;
        }

        if (typeof(Delegate).IsAssignableFrom(type))
        {
            return members;
        }

        foreach (MemberInfo member in type.GetMembers(Declared).Where(Visible).OrderBy(Order).ThenBy(m => m.Name, StringComparer.Ordinal).ThenBy(Signature, StringComparer.Ordinal))
        {
            if (member is MethodInfo { IsSpecialName: true } || member is Type || member.Name.Contains('<', StringComparison.Ordinal)
                || member.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is not null)
            {
                continue; // accessors, nested types (listed as types), and what the compiler writes for records
            }

            string summary = Summary(docs, MemberId(member));
            if (summary.Length == 0)
            {
                summary = member switch
                {
                    MethodInfo m when m.GetBaseDefinition() != m || ImplementsInterface(m) => "(inherited)",
                    ConstructorInfo c when c.GetParameters().Length == 0 => "(the default constructor)",
                    _ => summary,
                };
            }

            members.Add((Signature(member), summary));
        }

        return members;
    }

    private static bool ImplementsInterface(MethodInfo method) =>
        !method.DeclaringType!.IsInterface && method.DeclaringType.GetInterfaces()
            .Any(i => method.DeclaringType.GetInterfaceMap(i).TargetMethods.Contains(method));

    private static bool Visible(MemberInfo member) => member switch
    {
        MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
        EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily),
        _ => false,
    };

    private static int Order(MemberInfo member) => member switch
    {
        ConstructorInfo => 0,
        FieldInfo => 1,
        PropertyInfo => 2,
        EventInfo => 3,
        _ => 4,
    };

    private static string Kind(Type type) =>
        type.IsEnum ? "enum"
        : type.IsInterface ? "interface"
        : typeof(Delegate).IsAssignableFrom(type) ? "delegate"
        : type.IsValueType ? (IsRecord(type) ? "record struct" : "struct")
        : type.IsAbstract && type.IsSealed ? "static class"
        : IsRecord(type) ? "record"
        : type.IsAbstract ? "abstract class"
        : "class";

    private static bool IsRecord(Type type) => type.GetMethod("<Clone>$") is not null || type.GetMethod("PrintMembers", Declared, [typeof(StringBuilder)]) is not null;

    private static string Signature(MemberInfo member) => member switch
    {
        ConstructorInfo c => $"{TypeName(c.DeclaringType!).Split('<')[0]}({Parameters(c)})",
        MethodInfo m => $"{(m.IsStatic ? "static " : string.Empty)}{TypeName(m.ReturnType)}{NullableMark(Nullability.Create(m.ReturnParameter))} {m.Name}{GenericArguments(m)}({Parameters(m)})",
        PropertyInfo p => $"{TypeName(p.PropertyType)}{NullableMark(Nullability.Create(p))} {(p.GetIndexParameters().Length > 0 ? $"this[{string.Join(", ", p.GetIndexParameters().Select(Parameter))}]" : p.Name)} {{ {Accessors(p)} }}",
        FieldInfo f => $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : string.Empty)}{TypeName(f.FieldType)} {f.Name}",
        EventInfo e => $"event {TypeName(e.EventHandlerType!)} {e.Name}",
        _ => member.Name,
    };

    private static string Accessors(PropertyInfo property)
    {
        var parts = new List<string>();
        if (property.GetMethod is { } get && (get.IsPublic || get.IsFamily))
        {
            parts.Add("get;");
        }

        if (property.SetMethod is { } set && (set.IsPublic || set.IsFamily))
        {
            bool init = set.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit");
            parts.Add(init ? "init;" : "set;");
        }

        return string.Join(' ', parts);
    }

    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>The <c>?</c> of a nullable reference type (value types carry theirs in <see cref="TypeName"/>).</summary>
    private static string NullableMark(NullabilityInfo info) =>
        !info.Type.IsValueType && !info.Type.IsByRef && info.ReadState == NullabilityState.Nullable ? "?" : string.Empty;

    private static string GenericArguments(MethodInfo method) =>
        method.IsGenericMethodDefinition ? $"<{string.Join(", ", method.GetGenericArguments().Select(a => a.Name))}>" : string.Empty;

    private static string Parameters(MethodBase method) => string.Join(", ", method.GetParameters().Select(Parameter));

    private static string Parameter(ParameterInfo p)
    {
        string prefix = p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : p.GetCustomAttribute<ParamArrayAttribute>() is not null ? "params " : string.Empty;
        Type type = p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType;
        string optional = p.HasDefaultValue ? " = " + DefaultValue(p.DefaultValue) : string.Empty;
        return $"{prefix}{TypeName(type)}{NullableMark(Nullability.Create(p))} {p.Name}{optional}";
    }

    private static string DefaultValue(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
    };

    /// <summary>A type as C# spells it, without namespaces.</summary>
    private static string TypeName(Type type)
    {
        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        if (type.IsArray)
        {
            return TypeName(type.GetElementType()!) + "[]";
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return TypeName(underlying) + "?";
        }

        string? keyword = Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "bool",
            TypeCode.Byte => "byte",
            TypeCode.Int32 => "int",
            TypeCode.Int64 => "long",
            TypeCode.UInt32 => "uint",
            TypeCode.UInt64 => "ulong",
            TypeCode.Double => "double",
            TypeCode.Single => "float",
            TypeCode.String => "string",
            _ => type == typeof(object) ? "object" : type == typeof(void) ? "void" : null,
        };
        if (keyword is not null && !type.IsEnum)
        {
            return keyword;
        }

        string name = type.Name.Split('`')[0];
        if (type.IsNested && !type.IsGenericParameter)
        {
            name = TypeName(type.DeclaringType!).Split('<')[0] + "." + name;
        }

        Type[] arguments = type.IsGenericType ? type.GetGenericArguments() : [];
        if (type.IsNested && type.DeclaringType!.IsGenericType)
        {
            arguments = arguments[type.DeclaringType.GetGenericArguments().Length..];
        }

        return arguments.Length == 0 ? name : $"{name}<{string.Join(", ", arguments.Select(TypeName))}>";
    }

    // XML documentation ids (ECMA-334 annex D): T:, M:, P:, F:, E: with the type's full name and parameter types.
    private static string TypeId(Type type) => "T:" + IdName(type);

    private static string IdName(Type type) => (type.FullName ?? type.Name).Replace('+', '.');

    private static string MemberId(MemberInfo member)
    {
        string owner = IdName(member.DeclaringType!);
        return member switch
        {
            ConstructorInfo c => $"M:{owner}.{(c.IsStatic ? "#cctor" : "#ctor")}{ParameterIds(c.GetParameters())}",
            MethodInfo m => $"M:{owner}.{m.Name}{(m.IsGenericMethodDefinition ? "``" + m.GetGenericArguments().Length.ToString(CultureInfo.InvariantCulture) : string.Empty)}{ParameterIds(m.GetParameters())}"
                + (m.Name is "op_Implicit" or "op_Explicit" ? "~" + ParameterId(m.ReturnType) : string.Empty),
            PropertyInfo p => $"P:{owner}.{p.Name}{ParameterIds(p.GetIndexParameters())}",
            FieldInfo f => $"F:{owner}.{f.Name}",
            EventInfo e => $"E:{owner}.{e.Name}",
            _ => member.Name,
        };
    }

    private static string ParameterIds(ParameterInfo[] parameters) =>
        parameters.Length == 0 ? string.Empty : "(" + string.Join(",", parameters.Select(p => ParameterId(p.ParameterType))) + ")";

    private static string ParameterId(Type type)
    {
        if (type.IsByRef)
        {
            return ParameterId(type.GetElementType()!) + "@";
        }

        if (type.IsArray)
        {
            return ParameterId(type.GetElementType()!) + "[]";
        }

        if (type.IsGenericParameter)
        {
            return (type.DeclaringMethod is null ? "`" : "``") + type.GenericParameterPosition.ToString(CultureInfo.InvariantCulture);
        }

        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            string definition = IdName(type.GetGenericTypeDefinition());
            return definition[..definition.IndexOf('`', StringComparison.Ordinal)] + "{" + string.Join(",", type.GetGenericArguments().Select(ParameterId)) + "}";
        }

        return IdName(type);
    }

    private static string Summary(Dictionary<string, XElement> docs, string id)
    {
        if (!docs.TryGetValue(id, out XElement? member))
        {
            return string.Empty;
        }

        XElement? summary = member.Element("summary");
        if (summary is null)
        {
            return member.Element("inheritdoc") is not null ? "(inherited)" : string.Empty;
        }

        var text = new StringBuilder();
        foreach (XNode node in summary.Nodes())
        {
            text.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "c" or "code" } e => $"`{e.Value}`",
                XElement { Name.LocalName: "see" or "seealso" } e => e.Attribute("cref") is { } cref
                    ? $"`{ShortCref(cref.Value)}`"
                    : e.Attribute("langword") is { } word ? $"`{word.Value}`" : e.Attribute("href")?.Value ?? e.Value,
                XElement { Name.LocalName: "paramref" or "typeparamref" } e => $"`{(string?)e.Attribute("name")}`",
                XElement { Name.LocalName: "para" } e => " " + e.Value + " ",
                XElement e => e.Value,
                _ => string.Empty,
            });
        }

        return Whitespace().Replace(text.ToString(), " ").Trim().Replace("|", "\\|", StringComparison.Ordinal);
    }

    private static string ShortCref(string cref)
    {
        string name = cref[(cref.IndexOf(':', StringComparison.Ordinal) + 1)..];
        int parameters = name.IndexOf('(', StringComparison.Ordinal);
        if (parameters >= 0)
        {
            name = name[..parameters];
        }

        string[] parts = name.Split('.');
        string last = parts[^1].Split('`')[0];
        return cref.StartsWith("T:", StringComparison.Ordinal) || parts.Length < 2 ? last : $"{parts[^2].Split('`')[0]}.{last}";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
