{{/* The labels of every object of the chart, and the selector of the DaemonSet's pods. */}}
{{- define "nvidia-gpu-driver.selectorLabels" -}}
app.kubernetes.io/name: nvidia-gpu-driver
{{- end }}

{{- define "nvidia-gpu-driver.labels" -}}
{{ include "nvidia-gpu-driver.selectorLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The service account the driver runs as: the chart's own unless serviceAccount.name names another. */}}
{{- define "nvidia-gpu-driver.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default "nvidia-gpu-driver" .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}
