#!/usr/bin/env bash
# Tests the dotnet new dra-driver template end to end: packs the SDK to a local feed, installs the template into a
# throwaway hive, generates a driver, runs its tests, and checks that invalid driver names are refused.
# Usage: templates/test-template.sh [work-dir]   (KEEP=1 keeps the work dir)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/dra-tpl.XXXXXX)}"
feed="$work/feed"; hive="$work/hive"
mkdir -p "$feed" "$hive"
[[ "${KEEP:-}" == 1 ]] || trap 'rm -rf "$work"' EXIT
version="$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' "$repo/Directory.Build.props")-$(sed -n 's:.*<VersionSuffix>\(.*\)</VersionSuffix>.*:\1:p' "$repo/Directory.Build.props")"
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "pack the SDK packages ($version) to $feed"
if [[ -z "${SKIP_PACK:-}" ]]; then
  for p in "$repo"/src/DraSdk.*/; do
    name="$(basename "$p")"
    [[ "$name" == DraSdk.Cli ]] && continue   # a tool, not a library the driver references
    dotnet pack "$p" -o "$feed" -v q -nologo -p:IncludeSymbols=false >/dev/null
  done
else
  cp "$SKIP_PACK"/*.nupkg "$feed"/
fi
ls "$feed"

nuget_config() {
  cat > "$1/NuGet.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="drasdk-local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <!-- The DraSdk packages come only from the feed just packed, into a packages folder of this run, so a stale
       DraSdk package of the same version in ~/.nuget/packages is never used. -->
  <packageSourceMapping>
    <packageSource key="drasdk-local"><package pattern="DraSdk.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
  <config>
    <add key="globalPackagesFolder" value="$work/packages" />
  </config>
</configuration>
XML
}

step "install the template into $hive"
dotnet new install "$repo/templates/DraSdk.Templates/content/dra-driver" --debug:custom-hive "$hive" >/dev/null

step "dotnet new dra-driver"
t0=$SECONDS
out="$work/Acme.FpgaDriver"
dotnet new dra-driver -n Acme.FpgaDriver --driver-name fpga.acme.com --device-kind fpga --device-count 2 \
  --sdk-version "$version" --no-restore --debug:custom-hive "$hive" -o "$out"
nuget_config "$out"
grep -q 'DriverName = "fpga.acme.com"' "$out/src/Acme.FpgaDriver/DriverInfo.cs"
grep -q 'CdiVendor = "k8s." + DriverName' "$out/src/Acme.FpgaDriver/DriverInfo.cs"

step "restore"
(cd "$out" && dotnet restore -v q -nologo)
t1=$SECONDS
step "build and test the generated solution"
(cd "$out" && dotnet test --no-restore 2>&1 | tail -n 15)
t2=$SECONDS

files=$(cd "$out" && find . -type f -not -path '*/bin/*' -not -path '*/obj/*' -not -name NuGet.config | wc -l)
lines=$(cd "$out" && find . -type f -not -path '*/bin/*' -not -path '*/obj/*' -not -name NuGet.config -print0 | xargs -0 cat | wc -l)
cs_lines=$(cd "$out" && find . -name '*.cs' -not -path '*/bin/*' -not -path '*/obj/*' -print0 | xargs -0 cat | wc -l)

reject() { # name, label
  local name="$1" label="$2"
  local dir="$work/bad-$label" log="$work/bad-$label.log"
  step "a hostile driver name ($label: $name) is refused"
  dotnet new dra-driver -n Bad.Driver --driver-name "$name" --debug:custom-hive "$hive" -o "$dir" >"$log" 2>&1 || true
  if [[ -d "$dir" ]]; then
    nuget_config "$dir"
    if (cd "$dir" && dotnet build -v q -nologo >>"$log" 2>&1); then
      echo "FAIL: driver name '$name' was accepted"; exit 1
    fi
  fi
  grep -m1 -o "ERROR: the driver name is not[^;]*" "$log" || true
  grep -m1 -o "error DRA0001: [^[]*" "$log" || { echo "FAIL: no clear message for '$name'"; cat "$log"; exit 1; }
}
reject "Fpga.Acme.com" uppercase
reject "a-very-long-driver-name-that-goes-on.and-on-and-on.example-company.com" too-long

step "the template package packs and installs from its .nupkg"
dotnet pack "$repo/templates/DraSdk.Templates" -o "$work/tpl" -v q -nologo >/dev/null
dotnet new install "$work"/tpl/DraSdk.Templates.*.nupkg --debug:custom-hive "$work/hive2" >/dev/null
dotnet new list dra-driver --debug:custom-hive "$work/hive2" | grep -q 'dra-driver'

printf '\nOK: dotnet new -> restored in %ss, built and tested in %ss (after restore); generated %s files, %s lines (%s lines of C#); total %ss\n' \
  "$((t1 - t0))" "$((t2 - t1))" "$files" "$lines" "$cs_lines" "$SECONDS"
