package provider

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The data sources read their configuration and write their state through
// getConfig and setState instead of the framework's Config.Get and
// State.Set. Those reflect over the model on every call: they parse every
// struct tag and compile a regular expression per field name each time. In a
// plan of 1000 vbs_backup_sharing data sources that was a fifth of the
// provider's CPU, and a third of it for a listing of 10,000 sharings
// (BENCHMARKS.md). The codec reflects over a model type once and keeps the
// field layout; each call then only converts values, with the framework's
// own attr.Value conversions. model_codec_test.go checks that it writes the
// very values State.Set writes.
//
// A model is a struct whose fields carry `tfsdk` tags, as the framework
// expects. Supported fields: attr.Value types (types.String, types.Int64,
// types.Bool, ...) that know their type when zero, []string, slices of
// models, and embedded models, whose fields count as the outer model's.

// getConfig decodes the configuration into model, a pointer to a struct.
// Attributes the model has no field for are ignored, so a model may read a
// few attributes only.
func getConfig(ctx context.Context, config tfsdk.Config, model any) diag.Diagnostics {
	var diags diag.Diagnostics
	target := reflect.ValueOf(model)
	if target.Kind() != reflect.Pointer || target.Elem().Kind() != reflect.Struct {
		diags.AddError("Provider bug", fmt.Sprintf("getConfig needs a pointer to a struct, not %T. Please report this.", model))
		return diags
	}
	if err := decodeObject(ctx, config.Raw, target.Elem()); err != nil {
		diags.AddError("Provider bug: cannot read the configuration", err.Error()+". Please report this.")
	}
	return diags
}

// setState encodes model, a struct or a pointer to one, as the whole state.
// The model must have a field for every attribute of the schema.
func setState(ctx context.Context, state *tfsdk.State, model any) diag.Diagnostics {
	var diags diag.Diagnostics
	source := reflect.ValueOf(model)
	if source.Kind() == reflect.Pointer && !source.IsNil() {
		source = source.Elem()
	}
	if source.Kind() != reflect.Struct {
		diags.AddError("Provider bug", fmt.Sprintf("setState needs a struct or a pointer to one, not %T. Please report this.", model))
		return diags
	}
	// A data source's state starts as a copy of its configuration, so it
	// already has the schema's type; building that from the schema is what
	// this is here to avoid.
	typ := state.Raw.Type()
	if typ == nil {
		typ = state.Schema.Type().TerraformType(ctx)
	}
	value, err := encodeValue(ctx, source, valueKind{}, typ)
	if err != nil {
		diags.AddError("Provider bug: cannot write the state", err.Error()+". Please report this.")
		return diags
	}
	state.Raw = value
	return diags
}

type codecField struct {
	name  string
	index []int
	kind  valueKind
}

// valueKind says how a Go type converts; computed once per field, since
// reflect's Implements is as slow as the conversion itself.
type valueKind struct {
	attrValue bool       // an attr.Value
	elem      *valueKind // for slices: the elements' kind
}

func kindOf(t reflect.Type) valueKind {
	k := valueKind{attrValue: t.Implements(attrValueType)}
	if !k.attrValue && t.Kind() == reflect.Slice {
		elem := kindOf(t.Elem())
		k.elem = &elem
	}
	return k
}

var codecCache sync.Map // reflect.Type -> []codecField or error

// fieldsOf lists the tagged fields of a model type, embedded models
// flattened, once per type.
func fieldsOf(t reflect.Type) ([]codecField, error) {
	if cached, ok := codecCache.Load(t); ok {
		if err, isErr := cached.(error); isErr {
			return nil, err
		}
		return cached.([]codecField), nil //nolint:forcetypeassert // only []codecField or error is stored
	}
	fields, err := collectFields(t, nil, map[string]bool{})
	if err != nil {
		codecCache.Store(t, err)
		return nil, err
	}
	codecCache.Store(t, fields)
	return fields, nil
}

func collectFields(t reflect.Type, prefix []int, seen map[string]bool) ([]codecField, error) {
	var fields []codecField
	for i := range t.NumField() {
		f := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		name, tagged := f.Tag.Lookup("tfsdk")
		switch {
		case f.Anonymous && !tagged && f.Type.Kind() == reflect.Pointer:
			return nil, fmt.Errorf("%s embeds %s by pointer; embed the struct", t, f.Type)
		case f.Anonymous && !tagged && f.Type.Kind() == reflect.Struct:
			inner, err := collectFields(f.Type, index, seen)
			if err != nil {
				return nil, err
			}
			fields = append(fields, inner...)
		case !tagged || name == "-":
			if f.IsExported() {
				return nil, fmt.Errorf("%s.%s has no tfsdk tag", t, f.Name)
			}
		default:
			if seen[name] {
				return nil, fmt.Errorf("%s: two fields are tagged %q", t, name)
			}
			seen[name] = true
			fields = append(fields, codecField{name: name, index: index, kind: kindOf(f.Type)})
		}
	}
	return fields, nil
}

var (
	attrValueType = reflect.TypeFor[attr.Value]()
	stringType    = reflect.TypeFor[string]()
)

// encodeValue converts a model field (or a whole model) to a Terraform value
// of type typ.
func encodeValue(ctx context.Context, v reflect.Value, kind valueKind, typ tftypes.Type) (tftypes.Value, error) {
	switch {
	case kind.attrValue:
		av, _ := v.Interface().(attr.Value)
		if av == nil {
			return tftypes.Value{}, fmt.Errorf("%s is nil", v.Type())
		}
		tv, err := av.ToTerraformValue(ctx)
		if err != nil {
			return tftypes.Value{}, err
		}
		if !tv.Type().Equal(typ) {
			return tftypes.Value{}, fmt.Errorf("%s gives %s where the schema has %s", v.Type(), tv.Type(), typ)
		}
		return tv, nil
	case v.Kind() == reflect.Struct:
		objType, ok := typ.(tftypes.Object)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("%s is a struct where the schema has %s", v.Type(), typ)
		}
		fields, err := fieldsOf(v.Type())
		if err != nil {
			return tftypes.Value{}, err
		}
		if len(fields) != len(objType.AttributeTypes) {
			return tftypes.Value{}, fmt.Errorf("%s has %d attributes, the schema %d", v.Type(), len(fields), len(objType.AttributeTypes))
		}
		attrs := make(map[string]tftypes.Value, len(fields))
		for _, f := range fields {
			attrType, ok := objType.AttributeTypes[f.name]
			if !ok {
				return tftypes.Value{}, fmt.Errorf("%s has attribute %q, the schema has not", v.Type(), f.name)
			}
			if attrs[f.name], err = encodeValue(ctx, v.FieldByIndex(f.index), f.kind, attrType); err != nil {
				return tftypes.Value{}, fmt.Errorf("%s: %w", f.name, err)
			}
		}
		return tftypes.NewValue(objType, attrs), nil
	case v.Kind() == reflect.Slice:
		listType, ok := typ.(tftypes.List)
		if !ok {
			return tftypes.Value{}, fmt.Errorf("%s is a slice where the schema has %s", v.Type(), typ)
		}
		if v.IsNil() {
			return tftypes.NewValue(listType, nil), nil
		}
		elems := make([]tftypes.Value, v.Len())
		for i := range elems {
			var err error
			if elems[i], err = encodeValue(ctx, v.Index(i), *kind.elem, listType.ElementType); err != nil {
				return tftypes.Value{}, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return tftypes.NewValue(listType, elems), nil
	case v.Type() == stringType:
		if !typ.Equal(tftypes.String) {
			return tftypes.Value{}, fmt.Errorf("string where the schema has %s", typ)
		}
		return tftypes.NewValue(tftypes.String, v.String()), nil
	}
	return tftypes.Value{}, fmt.Errorf("cannot encode %s", v.Type())
}

// decodeObject fills the fields of a model from an object value.
func decodeObject(ctx context.Context, raw tftypes.Value, model reflect.Value) error {
	fields, err := fieldsOf(model.Type())
	if err != nil {
		return err
	}
	objType, ok := raw.Type().(tftypes.Object)
	if !ok {
		return fmt.Errorf("%s is a struct where the configuration has %s", model.Type(), raw.Type())
	}
	var attrs map[string]tftypes.Value
	if raw.IsKnown() && !raw.IsNull() {
		if err := raw.As(&attrs); err != nil {
			return err
		}
	}
	for _, f := range fields {
		attrType, ok := objType.AttributeTypes[f.name]
		if !ok {
			return fmt.Errorf("%s has attribute %q, the schema has not", model.Type(), f.name)
		}
		value, present := attrs[f.name]
		if !present {
			// A null or unknown object has null or unknown attributes.
			state := any(nil)
			if !raw.IsKnown() {
				state = tftypes.UnknownValue
			}
			value = tftypes.NewValue(attrType, state)
		}
		if err := decodeValue(ctx, value, f.kind, model.FieldByIndex(f.index)); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

// decodeValue sets a model field from a Terraform value.
func decodeValue(ctx context.Context, raw tftypes.Value, kind valueKind, field reflect.Value) error {
	switch {
	case kind.attrValue:
		zero, _ := reflect.Zero(field.Type()).Interface().(attr.Value)
		if zero == nil {
			return fmt.Errorf("%s is an interface; use a concrete type such as types.String", field.Type())
		}
		av, err := zero.Type(ctx).ValueFromTerraform(ctx, raw)
		if err != nil {
			return err
		}
		v := reflect.ValueOf(av)
		if !v.Type().AssignableTo(field.Type()) {
			return fmt.Errorf("%s gives %s, not %s", zero.Type(ctx), v.Type(), field.Type())
		}
		field.Set(v)
		return nil
	case field.Kind() == reflect.Struct:
		return decodeObject(ctx, raw, field)
	case field.Kind() == reflect.Slice:
		if !raw.IsKnown() {
			return fmt.Errorf("an unknown list cannot go into %s", field.Type())
		}
		if raw.IsNull() {
			field.SetZero()
			return nil
		}
		var elems []tftypes.Value
		if err := raw.As(&elems); err != nil {
			return err
		}
		out := reflect.MakeSlice(field.Type(), len(elems), len(elems))
		for i, e := range elems {
			if err := decodeValue(ctx, e, *kind.elem, out.Index(i)); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		field.Set(out)
		return nil
	case field.Type() == stringType:
		if !raw.IsKnown() || raw.IsNull() {
			return fmt.Errorf("a %s value cannot go into a plain string", describeState(raw))
		}
		var s string
		if err := raw.As(&s); err != nil {
			return err
		}
		field.SetString(s)
		return nil
	}
	return fmt.Errorf("cannot decode into %s", field.Type())
}

func describeState(v tftypes.Value) string {
	if !v.IsKnown() {
		return "unknown"
	}
	return "null"
}
