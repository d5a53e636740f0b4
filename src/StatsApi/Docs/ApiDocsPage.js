// A Swagger UI plugin for /api-docs (Docs/ApiDocs.cs puts it in the page). Try it out on a form body fills
// every field that has no example of its own with its type's placeholder ("string") and sends it, with
// "Send empty value" ticked: a token request went out as grant_type=string&client_id=string&client_secret=string...,
// and, switched to JSON, showed the form's inner state ({"grant_type":{"value":"string","errors":[]},...}).
// Here such an optional field starts empty and is sent only once something is typed in it (a field with an
// example, an enum or a default starts with it; a required one is left as Swagger UI has it), and a form
// switched to JSON shows the body its fields make, which is what Execute sends.
function StatsApiDocs() {
  const ownValue = ["example", "examples", "default", "enum", "const"];

  return {
    wrapComponents: {
      // Swagger UI gives a form body's fields dispatchInitialValue (true but for a file); parameters' fields have none.
      JsonSchemaForm: (Original, system) => function StatsApiFormField(props) {
        const React = system.React;
        const [typed, setTyped] = React.useState(false);
        const schema = props.schema;
        const placeholder = props.dispatchInitialValue === true && !props.required && schema && !ownValue.some((key) => schema.has(key))
          ? system.fn.getSampleSchema(schema, false, { includeWriteOnly: true })
          : undefined;
        if (typed || placeholder === undefined || props.value !== placeholder) {
          return React.createElement(Original, props);
        }
        // Neither shown nor put in the body: dispatchInitialValue false would put an empty value in it.
        return React.createElement(Original, {
          ...props,
          value: "",
          dispatchInitialValue: undefined,
          onChange: (value) => {
            setTyped(true);
            props.onChange(value);
          },
        });
      },
      // The JSON editor, given a form's fields (an Immutable Map of {value, errors}), shows the JSON body they
      // make; the editor hands what it shows back as the body, as it does with any value it is given.
      RequestBodyEditor: (Original, system) => function StatsApiBodyEditor(props) {
        const value = props.value;
        if (!value || typeof value.toJS !== "function" || typeof value.map !== "function") {
          return system.React.createElement(Original, props);
        }
        const fields = value.map((field) => (field && typeof field.get === "function" ? field.get("value") : field))
          .filter((field) => field !== undefined && field !== null && field !== "")
          .toJS();
        return system.React.createElement(Original, { ...props, value: JSON.stringify(fields, null, 2) });
      },
      // "Send empty value" starts unticked: a field left empty is left out.
      ParameterIncludeEmpty: (Original, system) => function StatsApiIncludeEmpty(props) {
        return system.React.createElement(Original, { ...props, isIncludedOptions: { ...props.isIncludedOptions, defaultValue: false } });
      },
    },
  };
}
