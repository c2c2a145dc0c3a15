#!/usr/bin/env python3
"""Renders the Helm chart into ../static/nvidia-gpu-driver.yaml without helm.

The chart's templates only substitute values ({{ .Values.a.b }}, {{ .Release.Namespace }}, with `| quote` or
`| toJson`), so this is exactly what `helm template` gives for values.yaml + values-kind.yaml. The test suite renders
the templates the same way and checks that the result equals the static file, object by object.
"""
import json, os, re, sys
import yaml

here = os.path.dirname(os.path.abspath(__file__))
chart = os.path.join(here, '..', 'helm', 'nvidia-gpu-driver')
namespace = sys.argv[1] if len(sys.argv) > 1 else 'nvidia-dra-driver'

def load(path):
    with open(path) as f:
        return yaml.safe_load(f) or {}

def merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            merge(a[k], v)
        else:
            a[k] = v
    return a

values = merge(load(os.path.join(chart, 'values.yaml')), load(os.path.join(chart, 'values-kind.yaml')))
context = {'Values': values, 'Release': {'Namespace': namespace, 'Name': 'nvidia-gpu-driver'}}

def evaluate(expression):
    parts = [p.strip() for p in expression.split('|')]
    value = context
    for segment in parts[0].lstrip('.').split('.'):
        value = value[segment]
    for function in parts[1:]:
        if function == 'quote':
            value = json.dumps(str(value))
        elif function == 'toJson':
            value = json.dumps(value, separators=(',', ':'))
        else:
            raise SystemExit(f'unsupported template function {function}')
    return str(value)

documents = [f'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}']
for name in sorted(os.listdir(os.path.join(chart, 'templates'))):
    with open(os.path.join(chart, 'templates', name)) as f:
        documents.append(re.sub(r'\{\{\s*(.+?)\s*\}\}', lambda m: evaluate(m.group(1)), f.read()).strip())

header = ('# nvidia-gpu-driver for kind: the Helm chart ../helm/nvidia-gpu-driver rendered with values.yaml + values-kind.yaml\n'
          f'# (scripts/render-static.py), namespace {namespace}. Apply with: kubectl apply -f nvidia-gpu-driver.yaml\n')
with open(os.path.join(here, '..', 'static', 'nvidia-gpu-driver.yaml'), 'w') as f:
    f.write(header + '\n---\n'.join(documents) + '\n')
