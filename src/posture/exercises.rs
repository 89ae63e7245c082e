//! Short movements a break reminder may suggest, from the physical-therapy home programmes in the
//! posture guidance. Office-friendly ones first: a reminder should be doable at a desk.

use serde::{Deserialize, Serialize};

/// One suggestion with its dose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exercise {
    pub name: &'static str,
    pub dose: &'static str,
    pub how: &'static str,
}

/// The suggestions, in the order reminders cycle through them.
pub const EXERCISES: [Exercise; 7] = [
    Exercise {
        name: "short walk",
        dose: "2–5 minutes",
        how: "Stand up and walk, to the window, the kitchen or down the corridor.",
    },
    Exercise {
        name: "standing back extension",
        dose: "5–10 slow repetitions",
        how: "Stand, hands on your lower back, and gently lean back, then return upright.",
    },
    Exercise {
        name: "cat–cow",
        dose: "5–10 slow repetitions",
        how: "On hands and knees, round your back up, then let it sag gently while looking up.",
    },
    Exercise {
        name: "knee to chest",
        dose: "hold 30 s, 2–4 times per side",
        how: "Lying on your back, pull one knee gently towards your chest.",
    },
    Exercise {
        name: "child's pose",
        dose: "hold 60 s",
        how: "Kneel, sit back on your heels and reach your arms forward along the floor.",
    },
    Exercise {
        name: "bird dog",
        dose: "hold 5–10 s, 8–12 times per side",
        how: "On hands and knees, reach one arm forward and the opposite leg back, keeping your back level.",
    },
    Exercise {
        name: "plank",
        dose: "10–20 s, building up to 60 s",
        how: "On forearms and toes, keep a straight line from shoulders to heels.",
    },
];
