{{/* The chart's name. */}}
{{- define "callgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name: <release>-callgate, or the release when it says callgate. */}}
{{- define "callgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels of every resource of this chart's own templates. */}}
{{- define "callgate.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "callgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "callgate.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: callgate
{{- end }}

{{/* Labels of the gateway's resources. */}}
{{- define "callgate.labels" -}}
{{ include "callgate.commonLabels" . }}
app.kubernetes.io/component: gateway
{{- end }}

{{/* Selects the gateway's pods, and only them (the NATS pods are app.kubernetes.io/name: nats). */}}
{{- define "callgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "callgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end }}

{{- define "callgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "callgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image tag: image.tag, else the chart's appVersion. */}}
{{- define "callgate.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "callgate.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository (include "callgate.imageTag" .) .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "callgate.imageTag" .) }}
{{- end }}
{{- end }}

{{/* --public-url: publicURL, else the Ingress's host over https. */}}
{{- define "callgate.publicURL" -}}
{{- if .Values.publicURL }}
{{- .Values.publicURL }}
{{- else if and .Values.ingress.enabled .Values.ingress.host }}
{{- printf "https://%s" .Values.ingress.host }}
{{- else }}
{{- fail "publicURL is required (the base URL at which ACS reaches the callbacks), or ingress.enabled with ingress.host" }}
{{- end }}
{{- end }}

{{/* The name of the bundled NATS chart's client Service, by the NATS chart's own helper. */}}
{{- define "callgate.natsServiceName" -}}
{{- $ctx := dict "Values" .Values.nats "Release" .Release "Chart" (dict "Name" "nats") }}
{{- default (include "nats.fullname" $ctx) .Values.nats.service.name }}
{{- end }}

{{/* Selects the bundled NATS servers' pods (the NATS chart's selector labels). */}}
{{- define "callgate.natsSelectorLabels" -}}
{{- $ctx := dict "Values" .Values.nats "Release" .Release "Chart" (dict "Name" "nats") }}
{{- include "nats.selectorLabels" $ctx }}
{{- end }}

{{/* The bundled cluster's URL: its client Service, which routes only to ready servers. */}}
{{- define "callgate.natsURL" -}}
{{- printf "nats://%s.%s.svc:%v" (include "callgate.natsServiceName" .) .Release.Namespace .Values.nats.config.nats.port }}
{{- end }}

{{/* The Secret and key holding --nats-url. */}}
{{- define "callgate.natsURLSecretName" -}}
{{- if .Values.nats.enabled }}
{{- printf "%s-nats-url" (include "callgate.fullname" .) }}
{{- else }}
{{- .Values.eventLog.natsURL.existingSecret }}
{{- end }}
{{- end }}

{{/*
The settings the chart sets itself (and secret ones): settings may not name them.
*/}}
{{- define "callgate.reservedSettings" -}}
grpc-addr http-addr callbacks-addr admin-addr public-url acs-connection-string acs-endpoint callback-secret callback-audience auth-issuer auth-audience auth-jwks-url auth-algorithms auth-principal-claim auth-permissions-claim auth-api-keys-file auth-disabled tls-cert-file tls-key-file tls-client-ca-file data-dir nats-url nats-replicas drain-delay shutdown-grace
{{- end }}

{{/* Checks the values the way `callgate serve` checks its settings, so a bad install fails here. */}}
{{- define "callgate.validate" -}}
{{- $v := .Values }}
{{- if and $v.acs.connectionString.existingSecret $v.acs.endpoint }}
{{- fail "acs: give connectionString.existingSecret or endpoint, not both" }}
{{- end }}
{{- if not (or $v.acs.connectionString.existingSecret $v.acs.endpoint) }}
{{- fail "acs: connectionString.existingSecret (an access key) or endpoint (Microsoft Entra ID) is required" }}
{{- end }}
{{- if not $v.callbacks.secret.existingSecret }}
{{- fail "callbacks.secret.existingSecret is required: the callback secret authenticates ACS's and Event Grid's deliveries" }}
{{- end }}
{{- $oidc := $v.auth.oidc }}
{{- $jwt := or $oidc.issuer $oidc.audience $oidc.jwksURL }}
{{- if and $jwt (not (and $oidc.issuer $oidc.audience $oidc.jwksURL)) }}
{{- fail "auth.oidc: bearer tokens need issuer, audience and jwksURL" }}
{{- end }}
{{- if and $v.tls.clientCA (not $v.tls.existingSecret) }}
{{- fail "tls.clientCA needs tls.existingSecret" }}
{{- end }}
{{- if not (or $jwt $v.auth.apiKeys.existingSecret $v.tls.clientCA $v.auth.disabled) }}
{{- fail "auth: callgate serve refuses to start without authentication: set auth.oidc, auth.apiKeys.existingSecret or tls.clientCA, or auth.disabled to let anyone who reaches the API place calls" }}
{{- end }}
{{- if and (not $v.nats.enabled) (not $v.eventLog.natsURL.existingSecret) }}
{{- fail "the event log needs nats.enabled, or eventLog.natsURL.existingSecret naming a NATS cluster: replicas must share one log" }}
{{- end }}
{{- if and $v.nats.enabled $v.eventLog.natsURL.existingSecret }}
{{- fail "eventLog.natsURL.existingSecret names a NATS cluster elsewhere: set nats.enabled false" }}
{{- end }}
{{- $replicas := int $v.eventLog.replicas }}
{{- if or (lt $replicas 1) (gt $replicas 5) }}
{{- fail "eventLog.replicas must be 1 to 5" }}
{{- end }}
{{- if and $v.nats.enabled (gt $replicas (int $v.nats.config.cluster.replicas)) }}
{{- fail "eventLog.replicas is more than the NATS servers (nats.config.cluster.replicas)" }}
{{- end }}
{{- if and $v.nats.enabled (not $v.nats.config.jetstream.enabled) }}
{{- fail "nats.config.jetstream.enabled must be true: the event log is JetStream" }}
{{- end }}
{{- if eq (include "callgate.imageTag" .) "latest" }}
{{- fail "image.tag latest: deploy a version (default: the chart's appVersion)" }}
{{- end }}
{{- $reserved := splitList " " (include "callgate.reservedSettings" .) }}
{{- range $name, $value := $v.settings }}
{{- if has $name $reserved }}
{{- fail (printf "settings.%s: the chart sets it from its own values (see values.yaml)" $name) }}
{{- end }}
{{- if not (regexMatch "^[a-z][a-z0-9-]*$" $name) }}
{{- fail (printf "settings.%s: a flag name of callgate serve, such as log-level" $name) }}
{{- end }}
{{- end }}
{{- end }}
