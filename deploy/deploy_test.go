// Package deploy holds no code: its test checks the deployment files
// (Dockerfile, kubernetes/) against each other and against jsload's own
// flags, since no cluster is at hand to try them on.
package deploy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/jsload/jsload/internal/cli"
	"github.com/jsload/jsload/js"
)

// The parts of Kubernetes objects the test looks at.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data      map[string]string `yaml:"data"`
	Resources []string          `yaml:"resources"`
	Spec      struct {
		Replicas *int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		// A Service's ports (its selector is a plain map: serviceSelector).
		Ports []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		RunAsUser    int   `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Containers []struct {
		Name  string   `yaml:"name"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
		Env   []struct {
			Name      string `yaml:"name"`
			ValueFrom struct {
				SecretKeyRef struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	} `yaml:"containers"`
	Volumes []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
}

func load(t *testing.T) (map[string]*object, []string) {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	objs := map[string]*object{}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o object
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" || o.APIVersion == "" {
				t.Fatalf("%s: a document without kind or apiVersion", f)
			}
			if o.Kind == "Kustomization" {
				o.Metadata.Name = "kustomization"
			}
			key := o.Kind + "/" + o.Metadata.Name
			if objs[key] != nil {
				t.Fatalf("%s defined twice", key)
			}
			objs[key] = &o
		}
	}
	return objs, names
}

func get(t *testing.T, objs map[string]*object, key string) *object {
	t.Helper()
	o := objs[key]
	if o == nil {
		t.Fatalf("no %s in deploy/kubernetes", key)
	}
	return o
}

// flag returns the value of --name=value (or --name value) in args.
func flag(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// runHelp runs jsload in-process with args and --help: flags that do not
// exist fail (exit 2), whatever the rest.
func runHelp(t *testing.T, args []string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(&cli.State{Args: append(slices.Clone(args), "--help"), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 0 {
		t.Errorf("jsload %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
}

func TestManifestsWireMasterAndWorkers(t *testing.T) {
	objs, files := load(t)
	kust := get(t, objs, "Kustomization/kustomization")
	for _, f := range files {
		if f != "kustomization.yaml" && !slices.Contains(kust.Resources, f) {
			t.Errorf("kustomization.yaml does not list %s", f)
		}
	}
	master := get(t, objs, "Deployment/jsload-master")
	worker := get(t, objs, "Deployment/jsload-worker")
	svc := get(t, objs, "Service/jsload-master")
	// The Secret is created by hand with a random token (the README says
	// how): a token in the repository would be known to everyone.
	if objs["Secret/jsload-cluster"] != nil {
		t.Error("deploy/kubernetes must not ship the cluster token's Secret")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const secretName, secretKey = "jsload-cluster", "token"
	if !strings.Contains(string(readme), "kubectl create secret generic "+secretName+" --from-literal="+secretKey+"=") {
		t.Errorf("the README does not say how to create the %s Secret with its %s key", secretName, secretKey)
	}
	script := get(t, objs, "ConfigMap/jsload-script")

	for _, d := range []*object{master, worker} {
		if !matches(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
			t.Errorf("%s: its selector does not match its pods", d.Metadata.Name)
		}
		ps := d.Spec.Template.Spec
		if ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot || ps.SecurityContext.RunAsUser == 0 {
			t.Errorf("%s: not run as a non-root user", d.Metadata.Name)
		}
		if len(ps.Containers) != 1 {
			t.Fatalf("%s: %d containers, want 1", d.Metadata.Name, len(ps.Containers))
		}
		c := ps.Containers[0]
		if c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
			t.Errorf("%s: privilege escalation not turned off", d.Metadata.Name)
		}
		// Both get the cluster token from the Secret.
		found := false
		for _, e := range c.Env {
			if e.Name == "JSLOAD_CLUSTER_TOKEN" {
				ref := e.ValueFrom.SecretKeyRef
				found = ref.Name == secretName && ref.Key == secretKey
			}
		}
		if !found {
			t.Errorf("%s: JSLOAD_CLUSTER_TOKEN does not come from the %s Secret's %s", d.Metadata.Name, secretName, secretKey)
		}
	}
	mc, wc := master.Spec.Template.Spec.Containers[0], worker.Spec.Template.Spec.Containers[0]
	if mc.Image != wc.Image {
		t.Errorf("master image %q, worker image %q: run the same jsload", mc.Image, wc.Image)
	}
	if master.Spec.Replicas == nil || *master.Spec.Replicas != 1 {
		t.Error("the master Deployment must have exactly one replica")
	}

	// The Service reaches the master's pods, not the workers', on the port
	// the embedded NATS server listens on.
	svcSel := serviceSelector(t, "kubernetes/master.yaml")
	if !matches(svcSel, master.Spec.Template.Metadata.Labels) || matches(svcSel, worker.Spec.Template.Metadata.Labels) {
		t.Errorf("the Service's selector %v must pick the master's pods only", svcSel)
	}
	if !slices.Contains(mc.Args, "--master") || !slices.Contains(wc.Args, "--worker") {
		t.Errorf("master args %v, worker args %v", mc.Args, wc.Args)
	}
	bindPort, ok := flag(mc.Args, "master-bind-port")
	if !ok {
		bindPort = "5557"
	}
	natsPort := 0
	for _, p := range mc.Ports {
		if p.Name == "nats" && strconv.Itoa(p.ContainerPort) == bindPort {
			natsPort = p.ContainerPort
		}
	}
	if natsPort == 0 {
		t.Fatalf("the master container has no port named nats = --master-bind-port %s", bindPort)
	}
	svcPort := 0
	for _, p := range svc.Spec.Ports {
		if p.TargetPort == "nats" || p.TargetPort == natsPort {
			svcPort = p.Port
		}
	}
	if svcPort == 0 {
		t.Fatal("the Service has no port to the master's NATS port")
	}
	if h, _ := flag(wc.Args, "master-host"); h != svc.Metadata.Name {
		t.Errorf("workers look for the master at %q, the Service is %q", h, svc.Metadata.Name)
	}
	if p, ok := flag(wc.Args, "master-port"); ok && p != strconv.Itoa(svcPort) {
		t.Errorf("workers use port %s, the Service %d", p, svcPort)
	} else if !ok && svcPort != 5557 {
		t.Errorf("workers use the default port 5557, the Service %d", svcPort)
	}

	// The master's script comes from the ConfigMap, and is a valid script.
	if len(mc.Args) < 2 || mc.Args[0] != "run" {
		t.Fatalf("master args %v: want run SCRIPT ...", mc.Args)
	}
	path := mc.Args[1]
	var mount string
	for _, m := range mc.VolumeMounts {
		for _, v := range master.Spec.Template.Spec.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil && v.ConfigMap.Name == script.Metadata.Name {
				mount = m.MountPath
			}
		}
	}
	if mount == "" || filepath.Dir(path) != mount {
		t.Fatalf("the script %s is not in the %s ConfigMap's mount (%q)", path, script.Metadata.Name, mount)
	}
	src, ok := script.Data[filepath.Base(path)]
	if !ok {
		t.Fatalf("the ConfigMap has no key %s", filepath.Base(path))
	}
	dir := t.TempDir()
	for k, v := range script.Data {
		os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644)
	}
	if _, err := js.Load(context.Background(), filepath.Join(dir, filepath.Base(path)), js.LoadOptions{}); err != nil {
		t.Errorf("the ConfigMap's script does not load: %v\n%s", err, src)
	}

	// Every flag in the manifests is one jsload has.
	runHelp(t, append([]string{"run", filepath.Join(dir, filepath.Base(path))}, mc.Args[2:]...))
	runHelp(t, wc.Args)
}

func serviceSelector(t *testing.T, file string) map[string]string {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var o struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Selector map[string]any `yaml:"selector"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&o); err != nil {
			t.Fatalf("no Service in %s: %v", file, err)
		}
		if o.Kind == "Service" {
			sel := map[string]string{}
			for k, v := range o.Spec.Selector {
				sel[k], _ = v.(string)
			}
			return sel
		}
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	for _, want := range []string{
		"CGO_ENABLED=0",                   // a static binary
		"./cmd/jsload",                    // of jsload
		"internal/cli.Version=${VERSION}", // with its version (cli.Version below)
		"USER 65532",                      // not root
	} {
		if !strings.Contains(d, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	_ = cli.Version // the variable the Dockerfile's -X sets
	if _, err := os.Stat("../.dockerignore"); err != nil {
		t.Errorf("no .dockerignore: %v", err)
	}
}
