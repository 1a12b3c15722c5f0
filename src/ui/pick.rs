//! A labelled "any or one of these" picker, shared by the views' filters.

/// A combo box labelled `label` (for people and for screen readers) choosing `None` ("any")
/// or one of `options`.
pub fn pick(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut Option<String>,
    options: &[String],
    width: f32,
) {
    let l = ui.label(label);
    egui::ComboBox::from_id_salt(ui.scope_id().with(label))
        .selected_text(value.clone().unwrap_or_else(|| "any".into()))
        .width(width)
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, "any");
            for o in options {
                ui.selectable_value(value, Some(o.clone()), o);
            }
        })
        .response
        .labelled_by(l.id);
}
