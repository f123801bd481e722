#!/usr/bin/env python3
"""Generate the render benchmark chart for tack, Sherpack and Helm.

The chart has TEMPLATES templates that each render a Deployment, a Service and a ConfigMap, plus one
template whose loop renders a Service and a ConfigMap for each of LOOP services:
3 * TEMPLATES + 2 * LOOP objects (667 and 1000 give 4,001; 3334 and 4999 give 20,000).
tack and Sherpack get the same Jinja bodies (block tags written `{%`, not `{%-`: tack renders with
trim_blocks and lstrip_blocks); Helm gets the same objects written in Go templates.

Usage: gen_render_chart.py DIR TEMPLATES LOOP
Writes DIR/tack, DIR/sherpack and DIR/helm.
"""
import os
import sys

out, templates, loop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

VALUES = """\
image:
  repository: registry.example.com/team/app
  tag: "1.4.2"
  pullPolicy: IfNotPresent
replicas: 2
port: 8080
loopCount: %d
labels:
  team: platform
  tier: backend
  cost-center: "1234"
env:
  - name: LOG_LEVEL
    value: info
  - name: RETRIES
    value: "3"
  - name: REGION
    value: eu-west-1
resources:
  cpu: 100m
  memory: 128Mi
settings:
  feature: enabled
  endpoint: https://a.example.com
""" % loop

# Jinja body shared by tack and Sherpack: three objects per template
JINJA = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ release.name }}-app-@N@
  labels:
    app.kubernetes.io/instance: {{ release.name }}
{% for k, v in values.labels | items %}
    {{ k }}: {{ v | quote }}
{% endfor %}
spec:
  replicas: {{ values.replicas }}
  selector:
    matchLabels:
      app: app-@N@
  template:
    metadata:
      labels:
        app: app-@N@
    spec:
      containers:
        - name: app
          image: "{{ values.image.repository }}:{{ values.image.tag }}"
          imagePullPolicy: {{ values.image.pullPolicy }}
          ports:
            - containerPort: {{ values.port }}
          env:
{% for e in values.env %}
            - name: {{ e.name }}
              value: {{ e.value | quote }}
{% endfor %}
          resources:
            requests:
              cpu: {{ values.resources.cpu }}
              memory: {{ values.resources.memory }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ release.name }}-svc-@N@
  labels:
    app.kubernetes.io/instance: {{ release.name }}
spec:
  selector:
    app: app-@N@
  ports:
    - port: 80
      targetPort: {{ values.port }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ release.name }}-cfg-@N@
data:
{% for k, v in values.settings | items %}
  {{ k }}: {{ v | quote }}
{% endfor %}
  replicas: {{ values.replicas | quote }}
"""

JINJA_LOOP = """\
{% for i in range(values.loopCount) %}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ release.name }}-loop-{{ i }}
  labels:
    app.kubernetes.io/instance: {{ release.name }}
spec:
  selector:
    app: loop-{{ i }}
  ports:
    - port: 80
      targetPort: {{ values.port }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ release.name }}-loop-cfg-{{ i }}
data:
  index: {{ i | quote }}
  endpoint: {{ values.settings.endpoint | quote }}
{% endfor %}
"""

GO = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app-@N@
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
{{- range $k, $v := .Values.labels }}
    {{ $k }}: {{ $v | quote }}
{{- end }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: app-@N@
  template:
    metadata:
      labels:
        app: app-@N@
    spec:
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - containerPort: {{ .Values.port }}
          env:
{{- range .Values.env }}
            - name: {{ .name }}
              value: {{ .value | quote }}
{{- end }}
          resources:
            requests:
              cpu: {{ .Values.resources.cpu }}
              memory: {{ .Values.resources.memory }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-svc-@N@
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
spec:
  selector:
    app: app-@N@
  ports:
    - port: 80
      targetPort: {{ .Values.port }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cfg-@N@
data:
{{- range $k, $v := .Values.settings }}
  {{ $k }}: {{ $v | quote }}
{{- end }}
  replicas: {{ .Values.replicas | quote }}
"""

GO_LOOP = """\
{{- range $i := until (int .Values.loopCount) }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $.Release.Name }}-loop-{{ $i }}
  labels:
    app.kubernetes.io/instance: {{ $.Release.Name }}
spec:
  selector:
    app: loop-{{ $i }}
  ports:
    - port: 80
      targetPort: {{ $.Values.port }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $.Release.Name }}-loop-cfg-{{ $i }}
data:
  index: {{ $i | quote }}
  endpoint: {{ $.Values.settings.endpoint | quote }}
{{- end }}
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


for tool in ("tack", "sherpack", "helm"):
    root = os.path.join(out, tool)
    write(os.path.join(root, "values.yaml"), VALUES)
    if tool == "sherpack":
        write(os.path.join(root, "Pack.yaml"),
              "apiVersion: sherpack/v1\nkind: application\nmetadata:\n  name: bench\n  version: 1.0.0\n")
    else:
        write(os.path.join(root, "Chart.yaml"), "apiVersion: v2\nname: bench\nversion: 1.0.0\n")
    ext = {"tack": ".yaml.j2", "sherpack": ".yaml", "helm": ".yaml"}[tool]
    body, loop_body = (GO, GO_LOOP) if tool == "helm" else (JINJA, JINJA_LOOP)
    for n in range(templates):
        write(os.path.join(root, "templates", f"app-{n}{ext}"), body.replace("@N@", str(n)))
    write(os.path.join(root, "templates", f"loop{ext}"), loop_body)
