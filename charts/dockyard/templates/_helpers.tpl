{{/* The operator image: by digest when one is given, else by tag. Every Pod Dockyard starts runs it. */}}
{{- define "dockyard.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "dockyard.operatorLabels" -}}
app.kubernetes.io/name: dockyard
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}
