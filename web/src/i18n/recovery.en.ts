// English for the recovery screens, loaded with them (i18n/index.ts: loadRecoveryMessages)
// so the phone's inbox does not carry them. Keys must match recovery.zh-CN.ts.
export default {
  hazard: { rainstorm_flood: 'Rainstorm flood', flash_flood: 'Flash flood', landslide: 'Landslide', debris_flow: 'Debris flow', earthquake: 'Earthquake', wind_hail: 'Wind and hail', other: 'Other' },
  grade: { A: 'A · Safe', B: 'B · Members dangerous', C: 'C · Locally dangerous', D: 'D · Whole house dangerous', inaccessible: 'Not reached' },
  gradeShort: { A: 'A', B: 'B', C: 'C', D: 'D', inaccessible: 'Not reached' },
  gradeHint: {
    A: 'Sound: the structure is safe to live in.', B: 'Some members are dangerous; the house is basically safe to use.',
    C: 'Part of the load-bearing structure is unsafe: a locally dangerous house.', D: 'The load-bearing structure is unsafe: the whole house is dangerous.',
    inaccessible: 'The house could not be reached or entered.',
  },
  fema: { affected: 'Affected', minor: 'Minor', major: 'Major', destroyed: 'Destroyed', inaccessible: 'Inaccessible' },
  plan: { repair: 'Repair and reinforce', rebuild_in_place: 'Rebuild in place', relocate: 'Relocate', resettle: 'Central resettlement' },
  stage: { planned: 'Planned', funded: 'Funded', under_construction: 'Under construction', completed: 'Completed', accepted: 'Accepted', moved_in: 'Moved in' },
  gate: {
    approval: 'Approval', start: 'Start of works', foundation: 'Foundation inspection', roof: 'Roof inspection', completion: 'Completion',
    final: 'Final inspection', move_in: 'Move-in', allocation: 'Home allocated',
  },
  trancheStatus: { pending: 'Pending', released: 'Released', paid: 'Paid' },
  recovery: {
    title: 'Recovery', disasters: 'Disasters', none: 'No disaster has been declared in your area.', declaredBy: 'Declared by', affected: '{n} affected areas',
    started: 'Began', ended: 'Ended', ongoing: 'ongoing', target: 'Move-in target', overview: 'Overview', damageMap: 'Damage map', cases: 'Cases', assess: 'Assess a house',
    asOf: 'As of {date}', daysLeft: '{n} days to the move-in target', daysPast: 'The move-in target passed {n} days ago', targetToday: 'The move-in target is today',
    counts: 'Recovery figures', byGrade: 'Houses by grade', byStage: 'Cases by stage', byPlan: 'Cases by plan', funds: 'Funds', schedule: 'Milestones',
    children: 'Areas below', noChildren: 'No areas below', map: 'Map of the areas below', figure: 'Shade by', late: '{n} late', noHouses: 'No house assessed yet.',
  },
  rfig: {
    houses_assessed: 'Houses assessed', rooms_collapsed: 'Rooms collapsed', rooms_damaged: 'Rooms damaged', households_affected: 'Households affected',
    households_collapsed: 'Households whose house collapsed', cases: 'Cases', moved_in: 'Moved in', late: 'Late', moved_in_share: 'Share moved in',
    late_share: 'Share late', funds_approved: 'Approved', funds_released: 'Released', funds_paid: 'Paid', c: 'Grade C', d: 'Grade D',
  },
  damage: {
    title: 'Damage map', label: 'Map of assessed houses in {area}, coloured by grade', legend: 'Grades shown', loaded: '{n} houses on the map',
    loading: 'Loading houses… {n}', clickHint: 'Tap a house to open it.',
  },
  cases: { title: 'Reconstruction cases', stage: 'Stage', plan: 'Plan', all: 'All', onlyLate: 'Late only', household: 'Household', address: 'House', grade: 'Grade', due: 'Next milestone' },
  case: {
    releases: 'releases tranche {n}', changeAmount: 'Change the amount', amountYuan: 'Amount to approve (yuan)', cancelled: 'cancelled', title: 'Case', household: 'Household', house: 'House', grade: 'Grade', plan: 'Plan', changePlan: 'Change the plan', savePlan: 'Save the plan', stage: 'Stage',
    late: 'late', progress: 'Progress', gates: 'Gates', gate: 'Gate', effect: 'Effect', item: 'Item', state: 'State', due: 'Due', closed: 'Closed',
    notOpened: 'not opened yet', tranches: 'Tranches', tranche: 'Tranche {n}', share: 'Share', amount: 'Amount', status: 'Status', paidOn: 'Paid on',
    reference: 'Reference', recordPayment: 'Record payment', pay: 'Record', approved: 'Approved', released: 'Released', paid: 'Paid', openItem: 'Open the item',
    noTranches: 'No funds approved yet.', opened: 'Opened',
  },
  assess: {
    title: 'Assess a house', house: 'House', search: 'Address', searchHint: 'street, group, number', find: 'Find', nearby: 'Houses near me', nearbyNone: 'No house found nearby.',
    distance: '{m} m', chosen: 'House assessed', change: 'Choose another', pick: 'Assess this house', grade: 'Grade', rooms_collapsed: 'Rooms collapsed', rooms_damaged: 'Rooms damaged',
    roomsOf: 'The house has {n} rooms.', household: 'Household', householdDefault: 'The owner household: {name}', noHousehold: 'No household on record',
    note: 'Note', assessed_on: 'Assessed on', where: 'Where you stand', whereHint: 'Leave empty to use the house’s point.', submit: 'Save the assessment',
    sent: 'The assessment was saved.', openCase: 'Open the case', openAssessment: 'Open the assessment', another: 'Assess another house',
    answering: 'This re-assessment answers an appeal.', noHouses: 'No house matches.', searching: 'Searching…',
  },
  assessment: {
    reason: 'What the household disputes', title: 'Assessment', version: 'Version {n}', versions: 'Versions', latest: 'latest', ems98: 'EMS-98 grade', fema: 'FEMA PDA', assessor: 'Assessor',
    appeal: 'Appeal', appealHint: 'The household disputes this grade: open a re-assessment by a different assessor.', appealed: 'An appeal is open.',
    openAppeal: 'Open the appeal item', reassess: 'Re-assess', photos: 'Photos', point: 'Where the assessor stood', case: 'Case', none: 'Not assessed for this disaster.',
  },
  houseRecovery: { title: 'Damage assessments', assess: 'Assess for {name}' },
}
