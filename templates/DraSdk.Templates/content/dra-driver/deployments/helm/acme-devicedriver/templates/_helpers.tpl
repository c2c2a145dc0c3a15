{{/* The labels of every object of the chart, and the selector of the DaemonSet's pods. */}}
{{- define "acme-devicedriver.selectorLabels" -}}
app.kubernetes.io/name: acme-devicedriver
{{- end }}

{{- define "acme-devicedriver.labels" -}}
{{ include "acme-devicedriver.selectorLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The service account the driver runs as: the chart's own unless serviceAccount.name names another. */}}
{{- define "acme-devicedriver.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default "acme-devicedriver" .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}
